/**
 * A virtualised data grid: TanStack Table for the model (columns, cells), TanStack Virtual for the
 * rows, a CSS grid per row so header and cells line up. Only the rows on screen are in the DOM, so
 * 10,000 rows scroll like 10. A grid whose rows change on their own (the Queue screen's jobs) gives
 * each row its own component (rowComponent) that subscribes to the row's data, so an update renders
 * that row only.
 */
import { FlexRender, columnSizingFeature, metaHelper, tableFeatures, type Column, type ReactTable, type Row, type RowData } from '@tanstack/react-table';
import { useVirtualizer } from '@tanstack/react-virtual';
import { Fragment, memo, useCallback, useEffect, useMemo, useRef, type ReactNode } from 'react';

/** Per-column layout: `grow` columns share the width left over (their size is the minimum). */
export interface GridColumnMeta {
  grow?: boolean;
  align?: 'left' | 'right' | 'center';
  className?: string;
  /**
   * Renders the column's cell straight from the row's data: it returns the grid cell element
   * itself (with {@link gridCellProps} spread on it), called as a plain function (no hooks in it;
   * the components it returns may have them). No TanStack cell objects are made for the row, no
   * wrapper element or component: the rows that come into view while scrolling a big grid cost
   * less to build, and scrolling 10,000 rows leaves nothing behind for the garbage collector.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  renderCell?: (original: any) => ReactNode;
}

/** The role and class of a cell with column meta `m` (what the grid's own cell wrapper has); `extra` classes are added. */
export function gridCellProps(m: GridColumnMeta | undefined, extra = ''): { role: 'gridcell'; className: string } {
  return { role: 'gridcell', className: `vgrid-td align-${m?.align ?? 'left'} ${m?.className ?? ''} ${extra}` };
}

/** The feature set every grid of the app uses. */
export const gridFeatures = tableFeatures({ columnSizingFeature, columnMeta: metaHelper<GridColumnMeta>() });
export type GridFeatures = typeof gridFeatures;

export interface VirtualGridProps<T extends RowData> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  table: ReactTable<GridFeatures, T, any>;
  /** Pixel height of a row (rows may differ, e.g. rows with a problem line). */
  rowHeight: (row: T) => number;
  rowClassName?: (row: T) => string;
  /** Content under the row's cells (e.g. why the row cannot render). */
  rowExtra?: (row: T) => ReactNode;
  rowTestId?: (row: T) => string;
  testId: string;
  empty?: ReactNode;
  /** Changes whenever row heights may have changed, to re-measure. */
  layoutKey?: unknown;
  /** Index to scroll into view when it changes. */
  scrollToIndex?: number | null;
  /**
   * Renders each row instead of {@link GridRow} (a memoised component, stable across renders), e.g.
   * one that subscribes to the row's own data and renders <GridRow {...props} className testId />.
   */
  rowComponent?: (props: GridRowProps<T>) => ReactNode;
  /**
   * Reuses the rows' elements while scrolling (keyed by their place on screen, not by row): a row
   * that comes into view updates an element that left, instead of mounting a new one, so a fast
   * scroll builds no new elements or components. Only for rows whose components hold no state of
   * their own, or state that names the row it belongs to (the Shots grid's cells do).
   */
  recycleRows?: boolean;
}

/** The grid: header, then the rows on screen (plus a few either side) of `table`'s row model. */
export function VirtualGrid<T extends RowData>({ table, rowHeight, rowClassName, rowExtra, rowTestId, testId, empty, layoutKey, scrollToIndex, rowComponent, recycleRows }: VirtualGridProps<T>) {
  const RowView = rowComponent ?? GridRow;
  const scrollRef = useRef<HTMLDivElement>(null);
  const rows = table.getRowModel().rows;
  const columns = table.getAllLeafColumns();
  const template = columns.map((c) => (c.columnDef.meta?.grow ? `minmax(${c.getSize()}px, 1fr)` : `${c.getSize()}px`)).join(' ');
  const minWidth = useMemo(() => columns.reduce((s, c) => s + c.getSize(), 0), [columns]);

  // Stable while scrolling, so the virtualizer keeps its measurements of 10,000 rows.
  const estimateSize = useCallback((i: number) => rowHeight(rows[i].original), [rows, rowHeight]);
  const getItemKey = useCallback((i: number) => rows[i].id, [rows]);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize,
    getItemKey,
    overscan: 2,
  });

  useEffect(() => {
    virtualizer.measure();
  }, [layoutKey, virtualizer]);

  useEffect(() => {
    if (scrollToIndex !== null && scrollToIndex !== undefined && scrollToIndex >= 0) virtualizer.scrollToIndex(scrollToIndex, { align: 'center' });
  }, [scrollToIndex, virtualizer]);

  const headers = table.getHeaderGroups()[0]?.headers ?? [];
  return (
    <div className="vgrid" data-testid={testId} role="grid" aria-rowcount={rows.length}>
      <div className="vgrid-scroll" ref={scrollRef} data-testid={`${testId}-scroll`}>
        <div className="vgrid-head" role="row" style={{ gridTemplateColumns: template, minWidth }}>
          {headers.map((h) => (
            <div key={h.id} role="columnheader" className={`vgrid-th align-${h.column.columnDef.meta?.align ?? 'left'}`}>
              {h.isPlaceholder ? null : <FlexRender header={h} />}
            </div>
          ))}
        </div>
        {rows.length === 0 ? (
          <div className="vgrid-empty">{empty}</div>
        ) : (
          <div className="vgrid-body" style={{ height: virtualizer.getTotalSize(), minWidth }}>
            {virtualizer.getVirtualItems().map((item, slot) => (
              <RowView key={recycleRows ? slot : item.key} row={rows[item.index]} columns={columns} index={item.index} start={item.start} size={item.size} template={template} rowClassName={rowClassName} rowExtra={rowExtra} rowTestId={rowTestId} />
            ))}
          </div>
        )}
      </div>
    </div>
  );
}

/** What a row gets from the grid (and a {@link VirtualGridProps.rowComponent} passes on to {@link GridRow}). */
export interface GridRowProps<T extends RowData> {
  row: Row<GridFeatures, T>;
  /** The table's leaf columns, in order (the same array while they do not change). */
  columns: Column<GridFeatures, T>[];
  /** Position in the row model (0-based). */
  index: number;
  /** Offset from the top of the grid body, px. */
  start: number;
  /** Height, px. */
  size: number;
  /** The CSS grid-template-columns of the header. */
  template: string;
  rowClassName?: (row: T) => string;
  rowExtra?: (row: T) => ReactNode;
  rowTestId?: (row: T) => string;
  /** Class of the row; wins over rowClassName. */
  className?: string;
  /** data-testid of the row; wins over rowTestId. */
  testId?: string;
}

/** One row; memoised so scrolling renders only the rows that come into view. */
export const GridRow = memo(function GridRow<T extends RowData>({ row, columns, index, start, size, template, rowClassName, rowExtra, rowTestId, className, testId }: GridRowProps<T>) {
  const extra = rowExtra?.(row.original);
  return (
    <div
      role="row"
      aria-rowindex={index + 1}
      data-index={index}
      data-testid={testId ?? rowTestId?.(row.original)}
      className={`vgrid-row ${index % 2 ? 'odd' : ''} ${className ?? rowClassName?.(row.original) ?? ''}`}
      style={{ height: size, transform: `translateY(${start}px)` }}
    >
      <div className="vgrid-cells" style={{ gridTemplateColumns: template }}>
        {columns.every((c) => c.columnDef.meta?.renderCell)
          ? columns.map((c) => <Fragment key={c.id}>{c.columnDef.meta!.renderCell!(row.original)}</Fragment>)
          : row.getAllCells().map((cell) => {
              const own = cell.column.columnDef.meta?.renderCell;
              return own ? (
                <Fragment key={cell.id}>{own(row.original)}</Fragment>
              ) : (
                <div key={cell.id} {...gridCellProps(cell.column.columnDef.meta)}>
                  <FlexRender cell={cell} />
                </div>
              );
            })}
      </div>
      {extra && <div className="vgrid-extra">{extra}</div>}
    </div>
  );
}) as <T extends RowData>(props: GridRowProps<T>) => ReactNode;
