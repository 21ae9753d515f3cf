// Preloaded (NODE_OPTIONS, see toolchain.ts) into every Node process of a Pulumi run that
// `provision pulumi` starts: the program and the dynamic-provider host.
//
// Loading @pulumi/pulumi also loads the TypeScript compiler and npm's Arborist, which the SDK
// needs only to serialize functions. This package's runs serialize none (its resources carry a
// fixed provider module, components/dynamicResource.ts), yet the two cost about 0.5 s of
// start-up in each Node process of every run. The SDK now gets each on first use, which is
// never unless a program serializes a function. Nothing else is deferred.
import Module = require("node:module");

const DEFERRED = new Set(["typescript", "@npmcli/arborist"]);
const FROM_SDK = /[\\/]@pulumi[\\/]pulumi[\\/]/;

type Loader = (this: unknown, request: string, parent: { filename?: string } | undefined, ...rest: unknown[]) => unknown;
const internals = Module as unknown as { _load: Loader };
const load = internals._load;

internals._load = function deferSdkModules(this: unknown, request, parent, ...rest) {
  if (!DEFERRED.has(request) || !parent || !FROM_SDK.test(parent.filename ?? "")) return load.call(this, request, parent, ...rest);
  let real: object | undefined;
  const target = () => (real ??= load.call(this, request, parent, ...rest) as object);
  return new Proxy(Object.create(null) as object, {
    // The SDK's `__importStar` copies every key of a CommonJS module (loading it) unless the
    // module says it is an ES module; it then uses the module as is, and stays lazy.
    get: (_, key) => (key === "__esModule" ? true : Reflect.get(target(), key)),
    has: (_, key) => Reflect.has(target(), key),
    ownKeys: () => Reflect.ownKeys(target()),
    getOwnPropertyDescriptor: (_, key) => {
      const found = Reflect.getOwnPropertyDescriptor(target(), key);
      // A proxy may only report a property as fixed if its own (empty) target has it.
      return found && { ...found, configurable: true };
    },
  });
};
