// Lex compatibility, proven by the AWS SDK for JavaScript v3: PostText and
// RecognizeText conversations, sessions, and Lex's errors as the SDK reports
// them. Only `endpoint` and dummy credentials are set on the clients.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  LexRuntimeServiceClient, PostTextCommand, GetSessionCommand, PutSessionCommand,
  DeleteSessionCommand,
} from '@aws-sdk/client-lex-runtime-service';
import {
  LexRuntimeV2Client, RecognizeTextCommand, GetSessionCommand as GetSessionV2Command,
  DeleteSessionCommand as DeleteSessionV2Command, PutSessionCommand as PutSessionV2Command,
} from '@aws-sdk/client-lex-runtime-v2';
import { startParley, SOURCE_DIR } from './harness.mjs';

let server, v1, v2;
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };

// Lex resolves dates in the bot's time zone; Parley's default is UTC.
function isoDate(offsetDays) {
  const d = new Date(Date.now() + offsetDays * 86400000);
  return d.toISOString().slice(0, 10);
}

before(async () => {
  server = await startParley({
    config: {
      bots: [
        { file: path.join(SOURCE_DIR, 'examples/bots/airline.json'), aliases: { prod: '1' } },
        { file: path.join(SOURCE_DIR, 'examples/bots/flowers.json') },
        { file: path.join(SOURCE_DIR, 'tests/integration/fixtures/OrderFlowers.json') },
      ],
    },
  });
  v1 = new LexRuntimeServiceClient({ endpoint: server.url, region: 'us-east-1', credentials });
  v2 = new LexRuntimeV2Client({ endpoint: server.url, region: 'us-east-1', credentials });
});

after(async () => {
  await server.stop();
  server.cleanup();
});

function post(userId, inputText, extra = {}) {
  return v1.send(new PostTextCommand({
    botName: 'AmazonianAirways', botAlias: 'prod', userId, inputText, ...extra,
  }));
}

test('V1 PostText: the airline bot slot by slot, then "no" fails with the rejection', async () => {
  const user = 'slot-by-slot-user';
  let r = await post(user, 'I want to book a flight');
  assert.equal(r.dialogState, 'ElicitSlot');
  assert.equal(r.intentName, 'BookFlight');
  assert.equal(r.slotToElicit, 'Destination');
  assert.equal(r.message, 'Which city are you flying to?');
  assert.equal(r.messageFormat, 'PlainText');
  assert.deepEqual(r.slots, { Destination: null, Origin: null, Date: null });
  assert.ok(r.nluIntentConfidence.score > 0.5);
  assert.ok(r.sessionId);
  assert.equal(r.botVersion, '1');

  r = await post(user, 'Chicago');
  assert.equal(r.slotToElicit, 'Origin');
  assert.equal(r.message, 'Which city are you flying from?');
  assert.equal(r.slots.Destination, 'Chicago');
  assert.equal(r.slots.Origin, null);

  r = await post(user, 'Boston');
  assert.equal(r.slotToElicit, 'Date');
  assert.equal(r.message, 'What date would you like to fly?');

  r = await post(user, 'tomorrow');
  assert.equal(r.dialogState, 'ConfirmIntent');
  const tomorrow = isoDate(1);
  assert.deepEqual(r.slots, { Destination: 'Chicago', Origin: 'Boston', Date: tomorrow });
  assert.equal(r.message, `Are you sure you want to book a flight from Boston to Chicago on ${tomorrow}?`);

  r = await post(user, 'no');
  assert.equal(r.dialogState, 'Failed');
  assert.equal(r.message, "Okay. We didn't book your flight.");

  const s = await v1.send(new GetSessionCommand({ botName: 'AmazonianAirways', botAlias: 'prod', userId: user }));
  assert.equal(s.dialogAction.type, 'Close');
  assert.equal(s.dialogAction.fulfillmentState, 'Failed');
  assert.equal(s.dialogAction.intentName, 'BookFlight');
  assert.equal(s.recentIntentSummaryView[0].intentName, 'BookFlight');
  assert.equal(s.recentIntentSummaryView[0].confirmationStatus, 'Denied');
  assert.equal(s.recentIntentSummaryView[0].slots.Origin, 'Boston');
  assert.equal(s.sessionId, r.sessionId);
});

test('V1 PostText: one utterance fills every slot and asks for confirmation', async () => {
  const r = await post('one-shot-user', 'book a flight from Boston to Chicago tomorrow');
  assert.equal(r.dialogState, 'ConfirmIntent');
  assert.equal(r.intentName, 'BookFlight');
  assert.deepEqual(r.slots, { Destination: 'Chicago', Origin: 'Boston', Date: isoDate(1) });
});

test('V1 errors as the SDK reports them: NotFoundException and BadRequestException', async () => {
  await assert.rejects(
    v1.send(new PostTextCommand({ botName: 'NoSuchBot', botAlias: 'prod', userId: 'u1-test', inputText: 'hi' })),
    (e) => e.name === 'NotFoundException' && e.$metadata.httpStatusCode === 404 && /NoSuchBot/.test(e.message));
  await assert.rejects(
    v1.send(new PostTextCommand({ botName: 'AmazonianAirways', botAlias: 'nosuchalias', userId: 'u1-test', inputText: 'hi' })),
    (e) => e.name === 'NotFoundException');
  await assert.rejects(post('long-input-user', 'a'.repeat(1025)),
    (e) => e.name === 'BadRequestException' && e.$metadata.httpStatusCode === 400 && /1024/.test(e.message));
  // 1024 characters (multi-byte ones count once) is still accepted
  const ok = await post('long-input-user', 'é'.repeat(1024));
  assert.equal(ok.dialogState, 'ElicitIntent');
  await assert.rejects(post('x', 'hello'), (e) => e.name === 'BadRequestException'); // userId too short
  await assert.rejects(
    v1.send(new GetSessionCommand({ botName: 'AmazonianAirways', botAlias: 'prod', userId: 'never-talked' })),
    (e) => e.name === 'NotFoundException');
});

test('V1 session attributes, PutSession and DeleteSession', async () => {
  const user = 'session-user';
  let r = await v1.send(new PostTextCommand({
    botName: 'FlowerShop', botAlias: '$LATEST', userId: user, inputText: 'I would like to order some roses',
    sessionAttributes: { customerName: 'Ana' },
  }));
  assert.equal(r.slotToElicit, 'PickupDate');
  assert.equal(r.slots.FlowerType, 'roses');
  assert.equal(r.message, 'What day do you want the roses to be picked up?');
  assert.deepEqual(r.sessionAttributes, { customerName: 'Ana' });
  // attributes persist when the next request sends none
  r = await v1.send(new PostTextCommand({ botName: 'FlowerShop', botAlias: '$LATEST', userId: user, inputText: 'tomorrow' }));
  assert.equal(r.slotToElicit, 'PickupTime');
  assert.deepEqual(r.sessionAttributes, { customerName: 'Ana' });

  const put = await v1.send(new PutSessionCommand({
    botName: 'FlowerShop', botAlias: '$LATEST', userId: user,
    sessionAttributes: { customerName: 'Bo' },
    dialogAction: { type: 'ElicitSlot', intentName: 'OrderFlowers', slots: { FlowerType: 'tulips' }, slotToElicit: 'PickupDate' },
  }));
  assert.equal(put.dialogState, 'ElicitSlot');
  assert.equal(put.slotToElicit, 'PickupDate');
  assert.equal(put.intentName, 'OrderFlowers');
  // the SDK hands JSON headers back as LazyJsonString, and the message base64-encoded
  assert.equal(JSON.parse(String(put.slots)).FlowerType, 'tulips');
  assert.deepEqual(JSON.parse(String(put.sessionAttributes)), { customerName: 'Bo' });
  assert.equal(put.message, 'What day do you want the tulips to be picked up?');
  assert.equal(Buffer.from(put.encodedMessage, 'base64').toString(), put.message);
  const got = await v1.send(new GetSessionCommand({ botName: 'FlowerShop', botAlias: '$LATEST', userId: user }));
  assert.equal(got.dialogAction.type, 'ElicitSlot');
  assert.equal(got.dialogAction.slots.FlowerType, 'tulips');

  const del = await v1.send(new DeleteSessionCommand({ botName: 'FlowerShop', botAlias: '$LATEST', userId: user }));
  assert.equal(del.userId, user);
  assert.equal(del.botName, 'FlowerShop');
  assert.equal(del.sessionId, got.sessionId);
  await assert.rejects(v1.send(new GetSessionCommand({ botName: 'FlowerShop', botAlias: '$LATEST', userId: user })),
    (e) => e.name === 'NotFoundException');
});

test('V2 RecognizeText: one utterance, ConfirmIntent, "no" closes as Failed; sessions', async () => {
  const ids = { botId: 'AmazonianAirways', botAliasId: 'prod', localeId: 'en_US', sessionId: 'v2-user-1' };
  let r = await v2.send(new RecognizeTextCommand({ ...ids, text: 'book a flight from Boston to Chicago tomorrow' }));
  assert.equal(r.sessionId, 'v2-user-1');
  assert.equal(r.sessionState.dialogAction.type, 'ConfirmIntent');
  assert.equal(r.sessionState.intent.name, 'BookFlight');
  assert.equal(r.sessionState.intent.state, 'InProgress');
  assert.equal(r.sessionState.intent.confirmationState, 'None');
  assert.equal(r.sessionState.intent.slots.Origin.value.interpretedValue, 'Boston');
  assert.equal(r.sessionState.intent.slots.Destination.value.originalValue, 'Chicago');
  assert.equal(r.sessionState.intent.slots.Date.value.interpretedValue, isoDate(1));
  assert.equal(r.messages[0].contentType, 'PlainText');
  assert.match(r.messages[0].content, /^Are you sure you want to book a flight from Boston to Chicago/);
  assert.equal(r.interpretations[0].intent.name, 'BookFlight');
  assert.ok(r.interpretations[0].nluConfidence.score > 0.5);

  r = await v2.send(new RecognizeTextCommand({ ...ids, text: 'no' }));
  assert.equal(r.sessionState.dialogAction.type, 'Close');
  assert.equal(r.sessionState.intent.state, 'Failed');
  assert.equal(r.sessionState.intent.confirmationState, 'Denied');
  assert.equal(r.messages[0].content, "Okay. We didn't book your flight.");

  const s = await v2.send(new GetSessionV2Command(ids));
  assert.equal(s.sessionId, 'v2-user-1');
  assert.equal(s.sessionState.intent.name, 'BookFlight');
  assert.equal(s.sessionState.intent.state, 'Failed');

  const p = await v2.send(new PutSessionV2Command({ ...ids, sessionState: {
    sessionAttributes: { seat: 'aisle' },
    dialogAction: { type: 'ElicitSlot', slotToElicit: 'Date' },
    intent: { name: 'BookFlight', slots: { Origin: { value: { interpretedValue: 'Denver' } } } },
  } }));
  assert.equal(p.sessionId, 'v2-user-1');
  const s2 = await v2.send(new GetSessionV2Command(ids));
  assert.equal(s2.sessionState.dialogAction.type, 'ElicitSlot');
  assert.equal(s2.sessionState.dialogAction.slotToElicit, 'Date');
  assert.equal(s2.sessionState.intent.slots.Origin.value.interpretedValue, 'Denver');
  assert.deepEqual(s2.sessionState.sessionAttributes, { seat: 'aisle' });

  const d = await v2.send(new DeleteSessionV2Command(ids));
  assert.equal(d.botId, 'AmazonianAirways');
  assert.equal(d.localeId, 'en_US');
  await assert.rejects(v2.send(new GetSessionV2Command(ids)), (e) => e.name === 'ResourceNotFoundException');
});

test('V2 errors: unknown bot, wrong locale, empty text', async () => {
  const ids = { botId: 'AmazonianAirways', botAliasId: 'TSTALIASID', localeId: 'en_US', sessionId: 'v2-user-2' };
  await assert.rejects(v2.send(new RecognizeTextCommand({ ...ids, botId: 'Nope', text: 'hi' })),
    (e) => e.name === 'ResourceNotFoundException' && e.$metadata.httpStatusCode === 404);
  await assert.rejects(v2.send(new RecognizeTextCommand({ ...ids, localeId: 'fr_FR', text: 'hi' })),
    (e) => e.name === 'ResourceNotFoundException' && /en_US/.test(e.message));
  await assert.rejects(v2.send(new RecognizeTextCommand({ ...ids, text: 'x'.repeat(1025) })),
    (e) => e.name === 'ValidationException' && e.$metadata.httpStatusCode === 400);
  // TSTALIASID is Lex V2's test alias: it talks to $LATEST
  const r = await v2.send(new RecognizeTextCommand({ ...ids, text: 'I want to book a flight' }));
  assert.equal(r.sessionState.dialogAction.slotToElicit, 'Destination');
});

test('an ambiguous time: V1 leaves the slot null and lists both readings in slotDetails, V2 in resolvedValues', async () => {
  // V1: the hook-less bot elicits PickupTime again; its details carry the readings
  const user = 'ambiguous-user';
  const say = (inputText) => v1.send(new PostTextCommand({ botName: 'FlowerShop', botAlias: '$LATEST', userId: user, inputText }));
  let r = await say('I would like to order some roses');
  r = await say('tomorrow');
  assert.equal(r.slotToElicit, 'PickupTime');
  r = await say("10 o'clock");
  assert.equal(r.slotToElicit, 'PickupTime');
  assert.equal(r.slots.PickupTime, null);
  const s1 = await v1.send(new GetSessionCommand({ botName: 'FlowerShop', botAlias: '$LATEST', userId: user }));
  assert.equal(s1.dialogAction.slotToElicit, 'PickupTime');
  r = await say('10 am');
  assert.equal(r.slots.PickupTime, '10:00');

  // V2: one utterance; the slot has no interpretedValue and both readings
  const ids = { botId: 'FlowerShop', botAliasId: 'TSTALIASID', localeId: 'en_US', sessionId: 'v2-ambiguous' };
  const v = await v2.send(new RecognizeTextCommand({ ...ids, text: "order roses for tomorrow at 7 o'clock" }));
  const slots = v.sessionState.intent.slots;
  assert.equal(v.sessionState.intent.name, 'OrderFlowers');
  assert.equal(slots.FlowerType.value.interpretedValue, 'roses');
  assert.equal(slots.PickupDate.value.interpretedValue, isoDate(1));
  assert.equal(slots.PickupTime.value.originalValue, "7 o'clock");
  assert.equal(slots.PickupTime.value.interpretedValue, undefined);
  assert.deepEqual(slots.PickupTime.value.resolvedValues, ['07:00', '19:00']);
  assert.equal(v.sessionState.dialogAction.slotToElicit, 'PickupTime');
  // an hour alone, as the answer to "what time?", is ambiguous too
  const w = await v2.send(new RecognizeTextCommand({ ...ids, text: 'seven' }));
  assert.deepEqual(w.sessionState.intent.slots.PickupTime.value.resolvedValues, ['07:00', '19:00']);
  const x = await v2.send(new RecognizeTextCommand({ ...ids, text: '7 pm' }));
  assert.equal(x.sessionState.intent.slots.PickupTime.value.interpretedValue, '19:00');
});

test("alternative intents carry the slots the text holds for them (V1 alternativeIntents, V2 interpretations)", async () => {
  const text = 'cancel my booking to Chicago';
  const ids = { botId: 'AmazonianAirways', botAliasId: 'prod', localeId: 'en_US', sessionId: 'alt-user' };
  const r = await v2.send(new RecognizeTextCommand({ ...ids, text }));
  assert.equal(r.interpretations[0].intent.name, 'CancelBooking');
  const book = r.interpretations.find((i) => i.intent.name === 'BookFlight');
  assert.ok(book, 'BookFlight is among the interpretations');
  assert.equal(book.intent.slots.Destination.value.interpretedValue, 'Chicago');
  assert.equal(book.intent.slots.Destination.value.originalValue, 'Chicago');
  assert.deepEqual(book.intent.slots.Destination.value.resolvedValues, ['Chicago']);
  assert.equal(book.intent.slots.Origin, null); // the text names no origin
  const v = await post('alt-user-v1', text);
  assert.equal(v.intentName, 'CancelBooking');
  const alt = v.alternativeIntents.find((a) => a.intentName === 'BookFlight');
  assert.deepEqual(alt.slots, { Destination: 'Chicago', Origin: null, Date: null });
});

test('an OrderFlowers export written from the Lex documentation imports and converses', async () => {
  const user = 'flowers-user';
  const say = (inputText) => v1.send(new PostTextCommand({ botName: 'OrderFlowersBot', botAlias: '$LATEST', userId: user, inputText }));
  let r = await say('I would like to order some flowers');
  assert.equal(r.slotToElicit, 'FlowerType');
  assert.equal(r.message, 'What type of flowers would you like to order?');
  r = await say('lilies');
  assert.equal(r.slots.FlowerType, 'lilies');
  assert.equal(r.message, 'What day do you want the lilies to be picked up?');
  r = await say('tomorrow');
  assert.equal(r.slots.PickupDate, isoDate(1));
  r = await say('10:30 am');
  assert.equal(r.slots.PickupTime, '10:30');
  assert.equal(r.dialogState, 'ConfirmIntent');
  assert.equal(r.message, `Okay, your lilies will be ready for pickup by 10:30 on ${isoDate(1)}.  Does this sound okay?`);
  r = await say('yes');
  assert.equal(r.dialogState, 'ReadyForFulfillment');
  assert.equal(r.message, undefined);
  assert.equal(r.slots.FlowerType, 'lilies');
});

test('gibberish gets the clarification prompt, then the abort statement', async () => {
  const user = 'confused-user';
  const say = (inputText) => v1.send(new PostTextCommand({ botName: 'OrderFlowersBot', botAlias: '$LATEST', userId: user, inputText }));
  let r = await say('qwzx vbnm plkj');
  assert.equal(r.dialogState, 'ElicitIntent');
  assert.equal(r.message, "I didn't understand you, what would you like to do?");
  r = await say('zzzz yyyy xxxx');
  assert.equal(r.dialogState, 'ElicitIntent');
  r = await say('mmmm nnnn oooo');
  assert.equal(r.dialogState, 'Failed');
  assert.equal(r.message, 'Sorry, I am not able to assist at this time');
});
