import type { ConverterTypes } from './converters.js';

type ConverterName<Spec extends string> = Spec extends `${infer Name}(${string}` ? Name : Spec;

type ValueOf<Converter extends string> = ConverterName<Converter> extends keyof ConverterTypes ? ConverterTypes[ConverterName<Converter>] : unknown;

type Variable<Inner extends string> = Inner extends `${infer Converter}:${infer Name}`
  ? Name extends `${string}:${infer Last}`
    ? { [K in Last]: ValueOf<Converter> }
    : { [K in Name]: ValueOf<Converter> }
  : { [K in Inner]: string };

type Collect<Rule extends string> = Rule extends `${string}<${infer Inner}>${infer Rest}` ? Variable<Inner> & Collect<Rest> : unknown;

type Flatten<T> = { [K in keyof T]: T[K] };

/**
 * The typed params of a rule string: `RouteParams<'/post/<int:post_id>'>` is
 * `{ post_id: number }`. Converters map through `ConverterTypes`; a plain
 * `string` rule (not a literal) gives a record of unknowns.
 */
export type RouteParams<Rule extends string> = string extends Rule ? Record<string, unknown> : Flatten<Collect<Rule>>;
