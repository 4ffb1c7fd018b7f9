// Places a TopView's strings on screen with ink. No logic beyond layout and
// colour: what to show is decided in view.ts.

import React from 'react';
import { Box, Text } from 'ink';
import { TUNNEL_DOWN, type Column, type TopView } from './view.js';

export interface TopFrameProps {
  view: TopView;
  /** Colours and emphasis; off for the plain --once frame. */
  color: boolean;
}

/**
 * One frame of `lockne top`.
 *
 * @example
 * renderToString(<TopFrame view={buildView(state, { width: 120 })} color={false} />, { columns: 120 });
 */
export function TopFrame({ view, color }: TopFrameProps): React.ReactElement {
  const tunnelCol = view.profileColumns.findIndex((c) => c.title === 'TUNNEL');
  return (
    <Box flexDirection="column">
      <Text bold={color}>{view.title}</Text>
      <Text dimColor={color}>{view.status}</Text>
      {view.error !== undefined && <Text color={color ? 'red' : undefined}>{view.error}</Text>}
      <Box flexDirection="column" marginTop={1}>
        <Row columns={view.profileColumns} cells={view.profileColumns.map((c) => c.title)} header color={color} />
        {view.profiles.map((p, i) => (
          <Row
            key={i}
            columns={view.profileColumns}
            cells={p.cells}
            color={color}
            inverse={color && p.selected}
            cellColor={(col) => (col === tunnelCol ? (p.tunnelUp ? 'green' : 'red') : undefined)}
          />
        ))}
      </Box>
      <Box flexDirection="column" marginTop={1}>
        <Row columns={view.appColumns} cells={view.appColumns.map((c) => c.title)} header color={color} />
        {view.apps.map((cells, i) => (
          <Row key={i} columns={view.appColumns} cells={cells} color={color} />
        ))}
        {view.emptyMessage !== undefined && <Text dimColor={color}>{view.emptyMessage}</Text>}
        {view.hiddenApps > 0 && <Text dimColor={color}>… {view.hiddenApps} more</Text>}
      </Box>
      {view.help !== undefined && <Text dimColor={color}>{view.help}</Text>}
    </Box>
  );
}

interface RowProps {
  columns: Column[];
  cells: string[];
  color: boolean;
  header?: boolean;
  inverse?: boolean;
  cellColor?: (col: number) => string | undefined;
}

function Row({ columns, cells, color, header, inverse, cellColor }: RowProps): React.ReactElement {
  return (
    <Box flexDirection="row">
      {columns.map((c, i) => {
        const text = cells[i] ?? '';
        const fg = color ? cellColor?.(i) : undefined;
        return (
          <Box key={i} width={c.width} marginRight={1} flexShrink={0} justifyContent={c.align === 'right' ? 'flex-end' : 'flex-start'}>
            <Text wrap="truncate-end" bold={(color && header) || (color && text === TUNNEL_DOWN)} color={fg} inverse={inverse}>
              {text}
            </Text>
          </Box>
        );
      })}
    </Box>
  );
}
