// attention-wasm/data: CSV files into the library's inputs (csv-parse reads the CSV).
import type { Tensor } from './index.js';

export interface TextCsv { texts: string[]; labels: Float32Array; lines: number[] }
/** A text column and a label column (header names or indices; default 'text' and 'label'). */
export function textCsv(text: string, options?: { textColumn?: string | number; labelColumn?: string | number }): TextCsv;

export interface SeriesCsvOptions {
  window: number;
  stride?: number;
  labelColumn?: string | number;
  groupColumn?: string | number | null;
  featureColumns?: (string | number)[];
  scale?: 'robust' | 'none';
}
export interface SeriesCsv {
  x: Tensor<Float32Array>;
  y: Tensor<Float32Array>;
  stepLabels: Tensor<Float32Array>;
  windows: { group: string; start: number }[];
  featureColumns: string[];
}
/** Numeric readings with a label column -> windows (N, window, F), labels per window and per step. */
export function seriesCsv(text: string, options: SeriesCsvOptions): SeriesCsv;
