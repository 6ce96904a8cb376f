/**
 * The paper's figures redrawn from run folders: vega-lite specs (figure-specs.ts) rendered headless
 * by vega to SVG, and rasterised to PNG by resvg.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { RunRecord } from '../runs/run-reader.ts';
import { type FigureOmission, isPlan, planFigures } from './figure-specs.ts';

export type { FigureOmission } from './figure-specs.ts';

/** A drawn figure. */
export interface RenderedFigure {
  id: string;
  title: string;
  caption: string;
  svg: string;
  png: Uint8Array;
}

/** The figures that were drawn and those omitted for lack of matching runs. */
export interface FigureSet {
  drawn: RenderedFigure[];
  omitted: FigureOmission[];
}

/** PNG rasterisation scale (2 = twice the SVG's pixel size, for sharp text). */
export const PNG_SCALE = 2;

/** Renders a vega-lite spec to SVG text with a headless vega view (no DOM, no canvas). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Rasterises SVG text to PNG bytes with the system fonts. */
export function svgToPng(svg: string, scale = PNG_SCALE): Uint8Array {
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
  });
  return resvg.render().asPng();
}

/** Plans and renders every figure for the runs. */
export async function renderFigures(runs: readonly RunRecord[]): Promise<FigureSet> {
  const planned = planFigures(runs);
  const drawn: RenderedFigure[] = [];
  for (const plan of planned.filter(isPlan)) {
    const svg = await renderSvg(plan.spec);
    drawn.push({ id: plan.id, title: plan.title, caption: plan.caption, svg, png: svgToPng(svg) });
  }
  const omitted = planned.filter((f): f is FigureOmission => !isPlan(f));
  return { drawn, omitted };
}

/** Writes `<id>.svg` and `<id>.png` of every drawn figure into `dir`; returns the written paths. */
export async function writeFigures(figures: FigureSet, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const figure of figures.drawn) {
    const svgPath = join(dir, `${figure.id}.svg`);
    const pngPath = join(dir, `${figure.id}.png`);
    await writeFile(svgPath, figure.svg);
    await writeFile(pngPath, figure.png);
    written.push(svgPath, pngPath);
  }
  return written;
}
