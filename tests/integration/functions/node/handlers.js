// Test handlers for Parley's local functions, run under aws-lambda-ric.
'use strict';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Echoes the event with the process id (to see which worker ran it).
exports.echo = async (event, context) => {
  console.log(`echo ${JSON.stringify(event)}`);
  return { event, pid: process.pid, requestId: context.awsRequestId,
           fn: process.env.AWS_LAMBDA_FUNCTION_NAME, greeting: process.env.GREETING ?? null,
           remainingMs: context.getRemainingTimeInMillis(), clientContext: context.clientContext ?? null };
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

// Appends {n} to event.file; throws while the file holds event.failTimes or fewer lines for n.
exports.record = async (event) => {
  const fs = require('node:fs');
  if (event.sleepMs) await sleep(event.sleepMs);
  fs.appendFileSync(event.file, `${event.n}\n`);
  const seen = fs.readFileSync(event.file, 'utf8').split('\n').filter((l) => l === String(event.n)).length;
  if (event.failTimes && seen <= event.failTimes) throw new Error(`attempt ${seen} fails`);
  return { n: event.n, seen };
};

// Returns a string of event.bytes characters (JSON-encoded: bytes + 2).
exports.big = async (event) => 'x'.repeat(Math.max(0, (event.bytes ?? 0) - 2));
