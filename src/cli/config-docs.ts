/**
 * docs/configs.md, generated from the zod schemas themselves (their `.describe()` texts, types,
 * bounds and defaults) so the documentation cannot drift from the code: every knob is described
 * where its schema defines it. A test checks every knob has a meaning and that the committed file
 * equals the generated text (`npx tsx scripts/gen-config-docs.ts` rewrites it).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { BestOfNConfigSchema } from '../experiments/best-of-n-config.ts';
import { TRAIN_SCHEMAS } from '../experiments/configs.ts';
import { SweepConfigSchema } from '../lab/sweep/grid.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface DocRow {
  key: string;
  type: string;
  default: string;
  meaning: string;
}

type Json = {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  anyOf?: Json[];
  properties?: Record<string, Json>;
  required?: string[];
  additionalProperties?: Json | boolean;
  items?: Json;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  minItems?: number;
  pattern?: string;
};

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

function bounds(n: Json): string {
  const b: string[] = [];
  if (n.exclusiveMinimum !== undefined) b.push(`> ${n.exclusiveMinimum}`);
  if (n.minimum !== undefined && n.minimum > -MAX_SAFE) b.push(`≥ ${n.minimum}`);
  if (n.maximum !== undefined && n.maximum < MAX_SAFE) b.push(`≤ ${n.maximum}`);
  if (n.exclusiveMaximum !== undefined) b.push(`< ${n.exclusiveMaximum}`);
  return b.length ? ` ${b.join(', ')}` : '';
}

function typeOf(n: Json): string {
  if (n.anyOf) return n.anyOf.map(typeOf).join(' or ');
  if (Array.isArray(n.type)) return n.type.map((t) => typeOf({ ...n, type: t })).join(' or ');
  if (n.enum) return n.enum.map((v) => JSON.stringify(v)).join(' \\| ');
  if (n.const !== undefined) return JSON.stringify(n.const);
  switch (n.type) {
    case 'number':
      return `number${bounds(n)}`;
    case 'integer':
      return `integer${bounds(n)}`;
    case 'string':
      return 'string';
    case 'boolean':
      return 'boolean';
    case 'null':
      return 'null';
    case 'array':
      return `list of ${n.items ? typeOf(n.items) : 'values'}`;
    case 'object':
      if (n.properties) return 'section';
      return typeof n.additionalProperties === 'object' && n.additionalProperties.type
        ? `mapping to ${typeOf(n.additionalProperties)}`
        : 'mapping';
    default:
      return 'any';
  }
}

/** The object branch of a node, if it is a section (possibly nullable). */
function sectionOf(n: Json): Json | undefined {
  if (n.type === 'object' && n.properties) return n;
  return n.anyOf?.find((a) => a.type === 'object' && a.properties);
}

const isObject = (v: unknown): v is object => typeof v === 'object' && v !== null && !Array.isArray(v);

function rowsOf(node: Json, prefix: string, out: DocRow[]): void {
  const required = new Set(node.required ?? []);
  for (const [name, child] of Object.entries(node.properties ?? {})) {
    const key = prefix ? `${prefix}.${name}` : name;
    const section = sectionOf(child);
    const meaning = (child.description ?? '').replaceAll('|', '\\|');
    if (section) {
      const optional = !required.has(name) && child.default === undefined;
      const defaultText = required.has(name)
        ? 'required'
        : child.default === null || (isObject(child.default) && Object.keys(child.default).length > 0)
          ? `\`${JSON.stringify(child.default)}\``
          : optional
            ? '(absent)'
            : '(defaults below)';
      if (meaning || optional)
        out.push({
          key: `**${key}**`,
          type: child.anyOf ? 'section or null' : 'section',
          default: defaultText,
          meaning,
        });
      rowsOf(section, key, out);
      continue;
    }
    out.push({
      key,
      type: typeOf(child),
      default:
        child.default !== undefined
          ? `\`${JSON.stringify(child.default)}\``
          : required.has(name)
            ? 'required'
            : '(absent)',
      meaning,
    });
  }
}

/** Every knob of a schema: key path, type and bounds, default, meaning. */
export function configDocRows(schema: z.ZodType): DocRow[] {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Json;
  const rows: DocRow[] = [];
  rowsOf(json, '', rows);
  return rows;
}

export const DOCUMENTED: { title: string; usage: string; schema: z.ZodType; note: string }[] = [
  {
    title: 'sft: supervised fine-tuning',
    usage: 'maxent-rlhf sft --config FILE [--set key=value]… [--fresh]',
    schema: TRAIN_SCHEMAS.sft,
    note: 'Completion-only loss: mean next-token cross-entropy over the completion tokens (EOS included).',
  },
  {
    title: 'rm: reward model',
    usage: 'maxent-rlhf rm --config FILE [--set key=value]… [--fresh]',
    schema: TRAIN_SCHEMAS.rm,
    note: 'Bradley-Terry loss on preference pairs. `model` is the SFT snapshot: its LM head is dropped and a score head is drawn with `seed` (a snapshot that already has a score head keeps it).',
  },
  {
    title: 'po: offline preference optimisation',
    usage: 'maxent-rlhf po --config FILE [--loss NAME] [--set key=value]… [--fresh]',
    schema: TRAIN_SCHEMAS.po,
    note: "Reference-based losses compute the reference log-probs once (cached in `out/cache/`); reference-free losses (simpo, cpo, cpo-simpo, orpo) never load a reference model. `--loss` overrides `loss`; `beta` and `gamma` left out take the chosen loss's own defaults.",
  },
  {
    title: 'rl: online RLHF (KL-regularised or Maximum-Entropy)',
    usage: 'maxent-rlhf rl --config FILE [--set key=value]… [--fresh]',
    schema: TRAIN_SCHEMAS.rl,
    note: "The online trainer's knobs plus the snapshots and files of a run. `regularizer` holds one block per term: `kl` (KL-regularised RLHF) needs `reference`; with only `entropy` (Maximum-Entropy RLHF) the reference (if given) is only used to measure `objective/kl`, as the paper reports KL(π‖π_ref) for Maximum-Entropy runs too. For example `regularizer: { entropy: { coef: 0.01 } }`; both blocks together are allowed.",
  },
  {
    title: 'bon: best-of-n (no training)',
    usage: 'maxent-rlhf bon --config FILE [--set key=value]…',
    schema: BestOfNConfigSchema,
    note: "For each n of the grid, every prompt's best of n responses under the reward model (all n read off the same max(n) draws). The run folder (kind `bon`) has one metrics line per n, its step being n: `objective/scores` (proxy), `objective/kl` (measured from the calibration draws) beside `objective/kl_analytic` = log n − (n−1)/n, and with a judge `eval/gold_score`, `eval/win_rate`; `samples.jsonl` holds the chosen responses. See docs/estimators.md.",
  },
  {
    title: 'sweep: a grid of rl or po runs',
    usage: 'maxent-rlhf sweep --config FILE [--set key=value]… [--dry-run]',
    schema: SweepConfigSchema,
    note: "Runs are named from their grid values (`kl-b0.05-lr1e-6-s1`, `maxent-a0.01-lr1e-7-s2`, `simpo-b2-lr5e-7-s1`) and live in `out/<name>/<run>/`. A run whose run.json says `done` is skipped; an interrupted or failed one resumes from its newest valid checkpoint. Every run's config is validated before the first starts. The final table shows each run's status and last logged metrics.",
  },
];

function table(rows: DocRow[]): string {
  const head = '| key | type | default | meaning |\n| --- | --- | --- | --- |';
  return [head, ...rows.map((r) => `| ${r.key} | ${r.type} | ${r.default} | ${r.meaning} |`)].join('\n');
}

/** Preset files under configs/ with the summary on their first comment line. */
export function presetList(root = REPO_ROOT): { path: string; summary: string }[] {
  const dir = join(root, 'configs');
  const files: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(name)) files.push(p);
    }
  };
  walk(dir);
  return files.map((p) => {
    const first = readFileSync(p, 'utf8').split('\n')[0] ?? '';
    return { path: relative(root, p).split('\\').join('/'), summary: first.replace(/^#\s*/, '').trim() };
  });
}

export function configDocsMarkdown(root = REPO_ROOT): string {
  const parts: string[] = [
    '# Config files',
    '',
    '<!-- Generated by `npx tsx scripts/gen-config-docs.ts` from the zod schemas; do not edit by hand. -->',
    '',
    'Every training command reads one YAML (or JSON) file. Unknown keys are errors, and every error',
    'names the file and the key path (`optim.lr: Too small: expected number to be >0`). `--set key=value`',
    'overrides any key (nested with dots, values parsed as YAML: `--set optim.lr=1e-6`,',
    "`--set 'grid.seed=[1,2]'`). Paths inside a config are relative to the working directory (run from",
    "the repository root); a sweep's `base` is relative to the sweep file. A run folder (`out`) resumes",
    'from its newest valid checkpoint; `--fresh` deletes its checkpoints, metrics, model and caches first.',
    'Run folders are described in [run-folder.md](run-folder.md).',
    '',
    '## Presets',
    '',
    "`configs/paper/` holds the paper's grid on real Pythia 1B / 2.8B and the TL;DR data (download the",
    'models and datasets first; see the comments in each file, which name the source of every value and',
    "mark our own choices: the paper's exact coefficients are not public). `configs/lab/` holds",
    'scaled-down twins that run on a laptop CPU on the built-in lab: they read what `maxent-rlhf demo`',
    'wrote (`runs/demo/seed-1/data/`, `runs/demo/seed-1/preferences/`, `runs/demo/seed-1/init`, `runs/demo/seed-1/sft/model`,',
    '`runs/demo/seed-1/rm/model`), so run the demo (or `maxent-rlhf demo --quick`) once first. Comments in',
    'the paper presets tag each value: `[paper]` arXiv 2509.20265, `[N+]` Huang et al. 2024 (the TL;DR',
    'setup the paper builds on),',
    '`[SimPO]` princeton-nlp/SimPO, `[ours]` our choice. File names start with the command they are',
    'for: `sft`, `rm`, `dpo`/`simpo` (`po`), `rl`, `sweep`.',
    '',
    '| file | what |',
    '| --- | --- |',
    ...presetList(root).map((p) => `| \`${p.path}\` | ${p.summary} |`),
    '',
  ];
  for (const d of DOCUMENTED) {
    parts.push(`## ${d.title}`, '', `\`${d.usage}\``, '', d.note, '', table(configDocRows(d.schema)), '');
  }
  return parts.join('\n');
}
