import { describe, expect, it } from 'vitest';
import { mergeOpenApi, type OpenApiDocument } from './openapi-merge.js';

const error = (description: string) => ({ description, content: { 'application/json': { schema: { type: 'object' } } } });

const order: OpenApiDocument = {
  openapi: '3.0.3',
  info: { title: 'order', version: '1' },
  paths: {
    '/api/v1/orders': {
      post: { requestBody: { content: {} }, responses: { '201': { description: 'created' }, '400': error('bad'), '503': error('order db down') } },
      get: { responses: { '200': { description: 'list' } } },
    },
    '/api/v1/orders/{id}': { parameters: [{ name: 'id', in: 'path' }], get: { responses: { '200': { description: 'one' }, '404': error('none') } } },
  },
  components: { schemas: { Order: { type: 'object' } } },
  tags: [{ name: 'orders' }],
};
const menu: OpenApiDocument = {
  openapi: '3.0.3',
  info: { title: 'menu', version: '1' },
  paths: { '/api/v1/menu': { get: { responses: { '200': { description: 'menu' } } } } },
  components: { schemas: { Order: { type: 'string' }, Pizza: { type: 'object' } } },
  tags: [{ name: 'menu' }, { name: 'orders', description: 'dup' }],
};

const options = {
  info: { title: 'pizza-lab API', version: '1.0.0' },
  everyOperation: { '429': error('slow down'), '503': error('upstream down') },
  withBody: { '413': error('too large') },
};

describe('mergeOpenApi', () => {
  const merged = mergeOpenApi([order, menu], options);
  const responses = (path: string, method: string) => Object.keys((merged.paths[path]![method] as { responses: object }).responses);

  it('puts every upstream path in one OpenAPI 3 document with the gateway title', () => {
    expect(merged.openapi).toBe('3.0.3');
    expect(merged.info.title).toBe('pizza-lab API');
    expect(Object.keys(merged.paths)).toEqual(['/api/v1/menu', '/api/v1/orders', '/api/v1/orders/{id}']);
    expect(merged.paths['/api/v1/orders/{id}']!.parameters).toEqual([{ name: 'id', in: 'path' }]);
  });

  it("adds the gateway's answers to every operation, and 413 to those with a body", () => {
    expect(responses('/api/v1/orders', 'post')).toEqual(['201', '400', '413', '429', '503']);
    expect(responses('/api/v1/orders', 'get')).toEqual(['200', '429', '503']);
    expect(responses('/api/v1/orders/{id}', 'get')).toEqual(['200', '404', '429', '503']);
    expect(responses('/api/v1/menu', 'get')).toEqual(['200', '429', '503']);
  });

  it("keeps an upstream's own description of a status it answers itself", () => {
    const post = merged.paths['/api/v1/orders']!.post as { responses: Record<string, { description: string }> };
    expect(post.responses['503']!.description).toBe('order db down');
  });

  it('merges components and tags, the first source winning a clash', () => {
    expect(merged.components!.schemas).toEqual({ Order: { type: 'object' }, Pizza: { type: 'object' } });
    expect(merged.tags).toEqual([{ name: 'orders' }, { name: 'menu' }]);
  });

  it('does not change its sources', () => {
    expect(Object.keys((order.paths['/api/v1/orders']!.post as { responses: object }).responses)).toEqual(['201', '400', '503']);
  });
});
