/**
 * One ECharts chart (tree-shaken: bar and line charts, SVG renderer) inside a <figure> with
 * its caption, ECharts' own ARIA description, and the numbers as a table for keyboard and
 * screen-reader users.
 */
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import EChartsReactCore from 'echarts-for-react/esm/core';
import { BarChart, LineChart } from 'echarts/charts';
import { AriaComponent, GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';

echarts.use([BarChart, LineChart, GridComponent, TooltipComponent, LegendComponent, AriaComponent, SVGRenderer]);

const CHART_FONT = "system-ui, 'PingFang SC', 'Hiragino Sans GB', 'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif";

/** Colours with AA contrast for text on white, distinct for the usual colour-vision deficiencies. */
export const PALETTE = ['#0b4f9c', '#c2410c', '#0f766e', '#7c3aed', '#a16207', '#be123c'];

export interface TableData {
  columns: string[];
  rows: (string | number)[][];
}

export function Chart(props: {
  id: string;
  title: string;
  option: Record<string, unknown>;
  table: TableData;
  height?: number;
  note?: ReactNode;
}) {
  const { t } = useTranslation();
  const option = {
    color: PALETTE,
    aria: { enabled: true, label: { description: props.title } },
    // A real font list, not 'inherit': ECharts measures label widths with it to lay out the grid.
    textStyle: { fontFamily: CHART_FONT },
    tooltip: { trigger: 'axis', confine: true },
    grid: { left: 8, right: 16, top: 40, bottom: 8 },
    animation: false,
    ...props.option,
  };
  return (
    <figure className="card chart" aria-labelledby={`${props.id}-title`} data-testid={`chart-${props.id}`}>
      <figcaption id={`${props.id}-title`} className="chart-title">
        {props.title}
      </figcaption>
      {props.note}
      <EChartsReactCore echarts={echarts} option={option} notMerge lazyUpdate opts={{ renderer: 'svg' }} style={{ height: props.height ?? 280, width: '100%' }} />
      <details className="chart-data">
        <summary>{t('dashboard.showData')}</summary>
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                {props.table.columns.map((c) => (
                  <th key={c} scope="col">
                    {c}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {props.table.rows.map((row) => (
                <tr key={String(row[0])}>
                  {row.map((cell, i) => (
                    <td key={i} className={typeof cell === 'number' || i > 0 ? 'num' : undefined}>
                      {cell}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}
