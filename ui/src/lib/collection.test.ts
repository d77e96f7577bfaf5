/// <reference path="../../node_modules/postman-collection/types/index.d.ts" />
// The API collection the app exports, read by Postman's own SDK (postman-collection): it is a
// collection Postman loads, with one request for every route and method of the OpenAPI
// document. Both files are what the Rust build makes (crates/keysmith-server/src/docs.rs
// keeps them current).
import { describe, expect, it } from 'vitest';
import { Collection, Item, type ItemGroup, type QueryParam } from 'postman-collection';
import exported from './fixtures/api.postman_collection.json?raw';
import openapi from './fixtures/openapi.json';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** Every route of the document as Postman names it: `POST /v1/verify`, `{id}` as `:id`. */
function documentedRoutes(): string[] {
  return Object.entries(openapi.paths as Record<string, Record<string, unknown>>).flatMap(([path, operations]) =>
    Object.keys(operations)
      .filter((method) => METHODS.includes(method))
      .map((method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
  );
}

/** A parameter's key (the SDK has it; its type definitions leave it out). */
const keyOf = (param: QueryParam) => (param as unknown as { key: string }).key;

describe('the exported API collection', () => {
  // Read from the file's text, as Postman reads an imported file.
  const collection = new Collection(JSON.parse(exported));
  const requests = collection.items.all().filter((item: Item | ItemGroup): item is Item => Item.isItem(item));

  it('loads as a Postman collection with the API as its base URL', () => {
    expect(Collection.isCollection(collection)).toBe(true);
    expect(collection.name).toBe('Keysmith local API');
    expect(collection.variables.get('baseUrl')).toBe('http://127.0.0.1:8700');
  });

  it('has one request for every route and method, and nothing else', () => {
    const listed = requests.map((item: Item) => `${item.request.method} /${item.request.url.getPath(true).slice(1)}`);
    expect(listed.sort()).toEqual(documentedRoutes().sort());
    expect(listed.length).toBeGreaterThanOrEqual(14);
  });

  it('sketches each body: JSON with its fields, forms with theirs', () => {
    const find = (name: string) => requests.find((item: Item) => item.name === name);
    const verify = find('POST /v1/verify');
    expect(verify?.request.headers.get('Content-Type')).toBe('application/json');
    const body = JSON.parse(verify?.request.body?.raw ?? '{}');
    expect(Object.keys(body)).toEqual(expect.arrayContaining(['token', 'scope', 'application', 'as_user']));
    const introspect = find('POST /v1/introspect');
    expect(introspect?.request.body?.mode).toBe('urlencoded');
    expect(introspect?.request.body?.urlencoded.all().map(keyOf)).toContain('token');
    const forwardAuth = find('GET /v1/auth');
    expect(forwardAuth?.request.url.query.all().map(keyOf)).toEqual(expect.arrayContaining(['scope', 'application']));
  });
});
