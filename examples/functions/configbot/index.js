// The ConfigBot's fulfillment code hook (the book's Slack bot): "what are the
// open ports for i-06dd90c34b8f87d76?" -> the open ingress ports of that
// instance, single ports as "22" and ranges as "8000--8080".
//
// It reads the instances and security groups from a JSON file shaped like
// `aws ec2 describe-instances` + `describe-security-groups` output
// (SECURITY_GROUPS_FILE, default examples/security-groups.json), so no AWS
// account is needed. Runs under aws-lambda-ric locally (Parley) or in AWS
// Lambda (nodejs20.x) as it is.
//   CONFIGBOT_DELAY_MS  wait this long before answering (tests of slow hooks)
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const INSTANCE_ID = /^i-([0-9a-f]{8}|[0-9a-f]{17})$/;

function close(fulfillmentState, content, sessionAttributes) {
  return {
    sessionAttributes: sessionAttributes ?? {},
    dialogAction: { type: 'Close', fulfillmentState, message: { contentType: 'PlainText', content } },
  };
}

// Single ports as "22", ranges as "8000--8080", "all" for every port; sorted, no duplicates.
function formatPorts(permissions) {
  const seen = new Map();
  for (const p of permissions) {
    if (p.IpProtocol === '-1' || p.FromPort === undefined) {
      seen.set('all', -1);
      continue;
    }
    const label = p.FromPort === p.ToPort ? `${p.FromPort}` : `${p.FromPort}--${p.ToPort}`;
    seen.set(label, p.FromPort);
  }
  return [...seen.entries()].sort((a, b) => a[1] - b[1]).map(([label]) => label);
}

function openPorts(data, instanceId) {
  const instance = (data.Reservations ?? []).flatMap((r) => r.Instances ?? [])
    .find((i) => i.InstanceId === instanceId);
  if (!instance) return null;
  const groups = new Set((instance.SecurityGroups ?? []).map((g) => g.GroupId));
  const perms = (data.SecurityGroups ?? []).filter((g) => groups.has(g.GroupId))
    .flatMap((g) => g.IpPermissions ?? []);
  return formatPorts(perms);
}

exports.formatPorts = formatPorts;
exports.openPorts = openPorts;

exports.handler = async (event) => {
  const delay = Number(process.env.CONFIGBOT_DELAY_MS ?? 0);
  if (delay > 0) await new Promise((r) => setTimeout(r, delay));
  const slots = event.currentIntent?.slots ?? {};
  const attrs = event.sessionAttributes ?? {};
  if (event.invocationSource !== 'FulfillmentCodeHook') {
    return { sessionAttributes: attrs, dialogAction: { type: 'Delegate', slots } };
  }
  const id = String(slots.InstanceId ?? '').trim().toLowerCase();
  if (!INSTANCE_ID.test(id)) {
    return close('Failed', `"${slots.InstanceId ?? ''}" is not an EC2 instance id: it looks like i-06dd90c34b8f87d76.`, attrs);
  }
  const file = process.env.SECURITY_GROUPS_FILE ?? path.join(__dirname, '..', '..', 'security-groups.json');
  let data;
  try {
    data = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    return close('Failed', `I cannot read the security groups (${e.message}).`, attrs);
  }
  const ports = openPorts(data, id);
  if (ports === null) return close('Failed', `I do not know the instance ${id}.`, attrs);
  if (ports.length === 0) return close('Fulfilled', `No ports are open on ${id}.`, attrs);
  return close('Fulfilled', `The open ports for ${id} are ${ports.join(', ')}.`, attrs);
};
