/** The method registry: name -> required scope, params validator and async handler. */
import type { Logger } from "pino";
import { ChainlabError } from "../core/errors.ts";
import type { ParamsValidator } from "./params.ts";
import type { Scope } from "./types.ts";

/** What a handler learns about the caller. */
export interface MethodContext {
  keyId: string;
  scopes: readonly Scope[];
  remote: string;
  logger: Logger;
}

/** A method as registered by the node: results may contain bigint and Uint8Array (sent as string / hex). */
export interface MethodDefinition<P, R> {
  scope: Scope;
  params: ParamsValidator<P>;
  handler: (params: P, ctx: MethodContext) => Promise<R> | R;
  /** One line for `rpc_methods` and docs. */
  description?: string;
}

/** A method stored in the registry (params and result erased). */
export interface RegisteredMethod {
  name: string;
  scope: Scope;
  description: string;
  run(rawParams: unknown, ctx: MethodContext): Promise<unknown>;
}

/** Holds the methods the server can dispatch. */
export interface MethodRegistry {
  register<P, R>(name: string, def: MethodDefinition<P, R>): void;
  get(name: string): RegisteredMethod | undefined;
  list(): Array<{ name: string; scope: Scope; description: string }>;
}

const NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

/** Creates an empty registry. */
export function createMethodRegistry(): MethodRegistry {
  const methods = new Map<string, RegisteredMethod>();
  return {
    register(name, def) {
      if (!NAME_PATTERN.test(name) || name.startsWith("rpc.")) {
        throw new ChainlabError("RPC_BAD_METHOD_NAME", `invalid method name ${JSON.stringify(name)}`, {
          name,
        });
      }
      if (methods.has(name)) {
        throw new ChainlabError("RPC_DUPLICATE_METHOD", `method ${name} is already registered`, { name });
      }
      methods.set(name, {
        name,
        scope: def.scope,
        description: def.description ?? "",
        run: async (rawParams, ctx) => def.handler(def.params.parse(rawParams), ctx),
      });
    },
    get: (name) => methods.get(name),
    list: () =>
      [...methods.values()]
        .map(({ name, scope, description }) => ({ name, scope, description }))
        .sort((a, b) => a.name.localeCompare(b.name)),
  };
}
