// An ESM consumer of the installed maxent-rlhf package (run by test/package/run.sh in a folder
// where only the tarball and its runtime dependencies are installed): a tiny GPT-NeoX written and
// loaded as an HF snapshot, its logits and response log-probabilities, and a DPO loss, all through
// the public API, checked against an independent float64 forward pass in python3-torch
// (scripts/reference/gptneox_reference.py) and the DPO formula computed here by hand.
//   node consumer.mjs REFERENCE_SCRIPT WORK_DIR
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as root from 'maxent-rlhf';
import { dpoLoss } from 'maxent-rlhf/losses';
import { initModel, loadCausalLM, responseLogProbs } from 'maxent-rlhf/models';
import { noGrad, tensor, tidy } from 'maxent-rlhf/tensor';

const [referenceScript, work] = process.argv.slice(2);
let failures = 0;
const check = (what, ok, detail) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${detail ? `: ${detail}` : ''}`);
  if (!ok) failures++;
};

check('the root export re-exports the subpaths', root.dpoLoss === dpoLoss && root.tidy === tidy);

// Two pythia-tiny models (policy, reference) from different seeds; widened weights would hide
// nothing here since each comparison below is against an independent computation.
const policyDir = join(work, 'policy');
const referenceDir = join(work, 'reference');
await initModel('pythia-tiny', policyDir, { seed: 1 });
await initModel('pythia-tiny', referenceDir, { seed: 2 });
const policy = await loadCausalLM(policyDir);
const reference = await loadCausalLM(referenceDir);

// Pairs: a shared 4-token prompt, chosen and rejected responses of 3 tokens (byte-level ids).
const prompt = [72, 101, 108, 108];
const responses = {
  chosen: [
    [111, 33, 10],
    [32, 104, 105],
  ],
  rejected: [
    [63, 63, 63],
    [120, 121, 122],
  ],
};
const start = prompt.length;
const rows = [...responses.chosen, ...responses.rejected].map((r) => [...prompt, ...r]);
const mask = rows.map((r) => r.map(() => 1));

// The independent side: float64 logits from python3-torch, log-probs by hand.
const inputs = join(work, 'inputs.json');
writeFileSync(inputs, JSON.stringify({ input_ids: rows, attention_mask: mask }));
const refLogits = {};
for (const [name, dir] of [
  ['policy', policyDir],
  ['reference', referenceDir],
]) {
  const out = join(work, `${name}-logits.json`);
  execFileSync('/usr/bin/python3', [referenceScript, dir, inputs, out]);
  refLogits[name] = JSON.parse(readFileSync(out, 'utf8'));
}
const [, T, V] = refLogits.policy.shape;
const handLogps = (flat) =>
  rows.map((row, b) => {
    let sum = 0;
    for (let t = start; t < T; t++) {
      const z = flat.slice((b * T + t - 1) * V, (b * T + t) * V);
      const m = Math.max(...z);
      const lse = m + Math.log(z.reduce((s, x) => s + Math.exp(x - m), 0));
      sum += z[row[t]] - lse;
    }
    return sum;
  });

const ids = tensor(rows, { dtype: 'int64' });
const attention = tensor(mask, { dtype: 'int64' });
const ours = noGrad(() =>
  tidy(() => {
    const logits = policy.logits(ids, attention).toArray();
    const logps = (model) => responseLogProbs(model, ids, attention, start).logProbs.sum(1).toArray();
    return { logits, policy: logps(policy), reference: logps(reference) };
  }),
);
let worst = 0;
for (let i = 0; i < ours.logits.length; i++)
  worst = Math.max(worst, Math.abs(ours.logits[i] - refLogits.policy.logits[i]));
check(
  'GPT-NeoX logits match the float64 python3-torch forward',
  worst < 1e-5,
  `max |Δ| = ${worst.toExponential(2)}`,
);
const hand = { policy: handLogps(refLogits.policy.logits), reference: handLogps(refLogits.reference.logits) };
let worstLogp = 0;
for (const side of ['policy', 'reference'])
  for (let i = 0; i < rows.length; i++)
    worstLogp = Math.max(worstLogp, Math.abs(ours[side][i] - hand[side][i]));
check('response log-probabilities match', worstLogp < 1e-4, `max |Δ| = ${worstLogp.toExponential(2)}`);

// DPO: L = −mean log σ(β·((π_c − ref_c) − (π_r − ref_r))), by hand from the reference log-probs.
const beta = 5;
const pairs = responses.chosen.length;
let handLoss = 0;
for (let i = 0; i < pairs; i++) {
  const margin = hand.policy[i] - hand.reference[i] - (hand.policy[pairs + i] - hand.reference[pairs + i]);
  handLoss += Math.log1p(Math.exp(-beta * margin)) / pairs;
}
const loss = tidy(() => {
  const l = (side, from, to) => tensor(ours[side].slice(from, to));
  return dpoLoss(
    {
      policyChosen: l('policy', 0, pairs),
      policyRejected: l('policy', pairs, 2 * pairs),
      refChosen: l('reference', 0, pairs),
      refRejected: l('reference', pairs, 2 * pairs),
      chosenLengths: tensor([3, 3]),
      rejectedLengths: tensor([3, 3]),
    },
    { beta },
  ).loss.item();
});
check(
  'DPO loss matches the formula',
  Math.abs(loss - handLoss) < 1e-4,
  `${loss.toFixed(6)} vs ${handLoss.toFixed(6)}`,
);
check('the DPO comparison is not at log 2 by accident', Math.abs(handLoss - Math.LN2) > 1e-3);
policy.dispose();
reference.dispose();
process.exitCode = failures ? 1 : 0;
