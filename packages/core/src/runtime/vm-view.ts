/**
 * `node:vm` as a codebase running in its own context sees it: "this context" is the codebase's, as it is the
 * running module's in Node. `runInThisContext`, `Script#runInThisContext` and `compileFunction` without a
 * `parsingContext` would otherwise evaluate in the host's context: values of the wrong realm, and `var`s
 * leaking onto the host's global. Everything else is the host's module.
 */
import vm from 'node:vm';

export function createVmView(context: vm.Context): typeof vm {
  const host = vm as unknown as Record<string, unknown>;
  const view: Record<string, unknown> = {};
  for (const key of Object.keys(host)) view[key] = host[key];

  class Script extends vm.Script {
    override runInThisContext(options?: vm.RunningScriptOptions): unknown {
      return this.runInContext(context, options);
    }
  }
  view.Script = Script;
  view.runInThisContext = function runInThisContext(code: string, options?: vm.RunningScriptOptions | string) {
    return vm.runInContext(code, context, options);
  };
  view.compileFunction = function compileFunction(
    code: string,
    params?: readonly string[],
    options: vm.CompileFunctionOptions | undefined = undefined, // a default, so `length` is 2 as Node's
  ) {
    const withContext =
      options === undefined
        ? { parsingContext: context }
        : typeof options === 'object' && options !== null && options.parsingContext === undefined
          ? { ...options, parsingContext: context }
          : options;
    return vm.compileFunction(code, params as string[], withContext);
  };
  return view as unknown as typeof vm;
}
