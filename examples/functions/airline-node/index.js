// The airline bot's BookFlight code hook for Node.js: a Lex V1 event in, a
// dialog action out. Runs as-is in AWS Lambda (nodejs20.x) and locally under
// Parley with the AWS Lambda runtime interface client (aws-lambda-ric).
//   FulfillmentCodeHook: Close/Fulfilled with the booking sentence, and the
//                        slots copied into the session attributes.
//   DialogCodeHook:      Delegate with the slots as they are.
'use strict';

exports.handler = async (event) => {
  const slots = event.currentIntent?.slots ?? {};
  const previous = event.sessionAttributes ?? {};
  console.log(`BookFlight: ${event.invocationSource} with slots ${JSON.stringify(slots)}`);

  if (event.invocationSource !== 'FulfillmentCodeHook') {
    return { sessionAttributes: previous, dialogAction: { type: 'Delegate', slots } };
  }
  const { Origin, Destination, Date } = slots;
  return {
    sessionAttributes: { ...previous, Origin, Destination, Date },
    dialogAction: {
      type: 'Close',
      fulfillmentState: 'Fulfilled',
      message: {
        contentType: 'PlainText',
        content: `We have booked your flight from ${Origin} to ${Destination} on ${Date}`,
      },
    },
  };
};
