import type { Tensor } from './index.js';
type Matrix = Tensor | number[][] | number[];
export interface HeatmapOptions {
  rowLabels?: (string | number)[];
  colLabels?: (string | number)[];
  /** Per row, the column index (or indices) where the attention should be. */
  truth?: (number | number[])[];
  /** 'row': each row by its largest; 'stretch': each row from its smallest positive weight to its largest. */
  normalize?: 'global' | 'row' | 'stretch' | 'none';
  cellSize?: number;
  title?: string;
}
export declare function renderHeatmap(target: HTMLCanvasElement | HTMLElement, weights: Matrix, options?: HeatmapOptions): HTMLCanvasElement;
export declare function highlightTokens(element: HTMLElement, tokens: string[], weights: Tensor | ArrayLike<number>,
  options?: { normalize?: 'max' | 'stretch' }): HTMLElement;
export declare function colorFor(value: number): string;
