import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TABLE_ACTIONS } from '../../../lib/functions.js';

/** Every TypeScript file under functions/. */
function sources(dir = 'functions'): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** The IAM action each DynamoDB call of the functions needs (transactions: per item kind). */
const ACTION_OF: Record<string, string> = {
  GetCommand: 'dynamodb:GetItem',
  QueryCommand: 'dynamodb:Query',
  BatchGetCommand: 'dynamodb:BatchGetItem',
  BatchGetItemCommand: 'dynamodb:BatchGetItem',
  PutCommand: 'dynamodb:PutItem',
  UpdateCommand: 'dynamodb:UpdateItem',
  DeleteCommand: 'dynamodb:DeleteItem',
  'Put:': 'dynamodb:PutItem',
  'Update:': 'dynamodb:UpdateItem',
  'Delete:': 'dynamodb:DeleteItem',
  'ConditionCheck:': 'dynamodb:ConditionCheckItem',
};

describe('TABLE_ACTIONS (least privilege on the table)', () => {
  it('grants every action the functions’ DynamoDB calls need, and nothing they never call', () => {
    const code = sources().map((f) => readFileSync(f, 'utf8'));
    const used = new Set<string>();
    const unknown = new Set<string>();
    for (const text of code) {
      for (const [, command] of text.matchAll(/new (\w+Command)\(/g)) {
        if (!command) continue;
        if (ACTION_OF[command]) used.add(ACTION_OF[command]);
        else if (/^(Scan|BatchWrite\w*|TransactGet|DescribeTable)Command$/.test(command))
          unknown.add(command);
      }
      // Items of a TransactWriteItems call, wherever the store builds them.
      for (const kind of ['Put:', 'Update:', 'Delete:', 'ConditionCheck:']) {
        if (new RegExp(`\\b${kind}\\s*\\{`).test(text)) used.add(ACTION_OF[kind] as string);
      }
    }
    // A call that needs an action outside the grant would fail with AccessDenied in AWS only.
    expect([...unknown]).toEqual([]);
    expect([...used].sort()).toEqual(
      [...TABLE_ACTIONS['table:write'], ...TABLE_ACTIONS['table:batch-read']].sort(),
    );
    expect(TABLE_ACTIONS['table:read']).toEqual(['dynamodb:GetItem', 'dynamodb:Query']);
    expect(TABLE_ACTIONS['table:batch-read']).toEqual(['dynamodb:BatchGetItem']);
  });
});
