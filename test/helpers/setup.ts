import 'aws-sdk-client-mock-vitest/extend';
import './cdk-matchers.js';
