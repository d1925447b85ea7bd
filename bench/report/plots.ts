/**
 * SVG plots of the bench figures, rendered headless with Vega-Lite (no browser, no canvas):
 * horizontal bars of ratios, one bar per row and Node version, with the target as a rule.
 */
import * as vega from 'vega'
import { compile, type TopLevelSpec } from 'vega-lite'

export interface Bar {
  /** The row (y axis). */
  label: string
  value: number
  /** One colour per group (the Node version). */
  group: string
  /** The target this row is held to, drawn as a tick. */
  target?: number
}

/** One bar chart: bars per label and group, a dashed rule at `reference` (1× or the target). */
export async function barChart(title: string, xTitle: string, bars: Bar[], reference?: number): Promise<string> {
  const spec: TopLevelSpec = {
    title,
    width: 520,
    data: { values: bars },
    layer: [
      {
        mark: 'bar',
        encoding: {
          y: { field: 'label', type: 'nominal', title: null, sort: null, axis: { labelLimit: 320 } },
          yOffset: { field: 'group' },
          x: { field: 'value', type: 'quantitative', title: xTitle },
          color: { field: 'group', type: 'nominal', title: 'Node' },
          tooltip: [{ field: 'label' }, { field: 'group' }, { field: 'value', format: '.2f' }],
        },
      },
      {
        mark: { type: 'tick', color: 'black', thickness: 2 },
        encoding: {
          y: { field: 'label', type: 'nominal', sort: null },
          x: { field: 'target', type: 'quantitative' },
        },
      },
      ...(reference !== undefined
        ? [{ data: { values: [{ x: reference }] }, mark: { type: 'rule' as const, strokeDash: [4, 4], color: 'grey' }, encoding: { x: { field: 'x', type: 'quantitative' as const } } }]
        : []),
    ],
  }
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' })
  const svg = await view.toSVG()
  view.finalize()
  return svg
}
