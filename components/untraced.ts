/**
 * Registration without a recorded call stack, for the resources made once per server.
 *
 * `@pulumi/pulumi` 3.248 reads the whole call stack (`new Error().stack`, with no frame limit) of
 * every resource's construction, and the engine keeps it in the state: for a server's component
 * and resource, about 1.4 KB of frames inside this package and Pulumi's launcher, rewritten after
 * every step of an update. V8 builds `.stack` through `Error.prepareStackTrace`; while one of these
 * constructors runs it yields the message alone, so the SDK finds no frame and records none. The
 * CentralServer keeps its position: the line of the user's program that made it.
 */
type Restore = () => void;

export function hideCallSites(): Restore {
  const saved = Object.getOwnPropertyDescriptor(Error, "prepareStackTrace");
  Error.prepareStackTrace = (error: Error) => `${error.name}: ${error.message}`;
  return () => {
    if (saved) Object.defineProperty(Error, "prepareStackTrace", saved);
    else delete (Error as { prepareStackTrace?: unknown }).prepareStackTrace;
  };
}
