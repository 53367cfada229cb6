#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { addStratusStacks } from '../lib/app.js';
import { parseConfig } from '../lib/config.js';

// The CDK app: config from cdk.json's "stratus" context, one stack per region, cdk-nag checks.
const app = new App();
addStratusStacks(app, parseConfig(app.node.tryGetContext('stratus')), {
  account: process.env.CDK_DEFAULT_ACCOUNT,
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
