// Test handlers for Parley's local functions, run under aws-lambda-ric.
'use strict';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Echoes the event with the process id (to see which worker ran it).
exports.echo = async (event, context) => {
  console.log(`echo ${JSON.stringify(event)}`);
  return { event, pid: process.pid, requestId: context.awsRequestId,
           fn: process.env.AWS_LAMBDA_FUNCTION_NAME, greeting: process.env.GREETING ?? null,
           remainingMs: context.getRemainingTimeInMillis() };
};

exports.fail = async () => {
  console.error('about to fail');
  throw new Error('the flight is full');
};

// Sleeps event.ms milliseconds (a timeout test sleeps past its timeout).
exports.sleep = async (event) => {
  await sleep(event.ms ?? 100);
  return { slept: event.ms ?? 100, pid: process.pid };
};

exports.crash = async (event) => {
  console.log('crashing');
  process.exit(event.code ?? 3);
};
