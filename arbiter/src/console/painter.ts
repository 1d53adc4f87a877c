import { styleText } from 'node:util';

/** A colour or style name node:util `styleText` takes. */
export type Style = Parameters<typeof styleText>[0];

/** Colours `text` with `style`, or returns it unchanged on a stream without colour. */
export type Painter = (style: Style, text: string) => string;

/** The stream side a painter needs: `hasColors` on a TTY write stream. */
export interface ColourTarget {
  hasColors?: () => boolean;
}

/**
 * A painter for one stream: colours only when the stream is a terminal that
 * takes colour (`hasColors` honours NO_COLOR, FORCE_COLOR and TERM=dumb).
 */
export function painterFor(stream: ColourTarget): Painter {
  const colour = typeof stream.hasColors === 'function' ? stream.hasColors() : false;
  return colour ? (style, text) => styleText(style, text, { validateStream: false }) : (_style, text) => text;
}
