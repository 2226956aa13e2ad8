/**
 * Layer names people know from PyTorch, taken from the exporter's scoped node names (torch >=
 * 1.13): `/layer4/layer4.1/conv2/Conv` is module `layer4.1.conv2`, `/features/features.28/Conv`
 * is `features.28`, `/features/features.1/conv/conv.0/conv.0.0/Conv` is `features.1.conv.0.0`
 * (a scope that extends the one before it by `.k` is a child of a container; any other scope is
 * an attribute of the module before it).
 *
 * A module's output is the last node of its subtree, which takes the module's own name; other
 * nodes inside it are named `<module>.<op>` (SiLU's `act.sigmoid` before its `act`, a residual
 * block's `layer1.0.add` before its `layer1.0.relu_1`). Containers get aliases to their output
 * (`layer1.0` reads `layer1.0.relu_1`), so the names PyTorch hooks use work too.
 */

/** The module path of a scoped node name ('' for a node outside every module). */
export function modulePath(nodeName: string): string {
  const scopes = nodeName.split('/').filter(Boolean);
  scopes.pop(); // the op itself ("Conv", "Relu_1")
  const parts: string[] = [];
  let previous = '';
  for (const scope of scopes) {
    if (previous && scope.startsWith(`${previous}.`)) parts.push(scope.slice(previous.length + 1));
    else parts.push(scope);
    previous = scope;
  }
  return parts.join('.');
}

const isScoped = (name: string) => name.startsWith('/');

/** Names and container aliases for nodes given in execution order. */
export function layerNames(
  nodes: { name: string; opType: string }[],
): { names: string[]; aliases: Map<string, string> } {
  const paths = nodes.map((n) => (isScoped(n.name) ? modulePath(n.name) : ''));
  // The last node (in execution order) inside each module's subtree is its output.
  const lastInside = new Map<string, number>();
  paths.forEach((path, i) => {
    const parts = path ? path.split('.') : [];
    for (let k = 1; k <= parts.length; k++) lastInside.set(parts.slice(0, k).join('.'), i);
  });
  const taken = new Set<string>();
  const unique = (base: string) => {
    let name = base;
    for (let k = 1; taken.has(name); k++) name = `${base}_${k}`;
    taken.add(name);
    return name;
  };
  const names = nodes.map((node, i) => {
    const path = paths[i];
    const op = node.opType.toLowerCase();
    if (!isScoped(node.name)) return unique(node.name || op);
    if (path && lastInside.get(path) === i) return unique(path);
    return unique(path ? `${path}.${op}` : op);
  });
  const aliases = new Map<string, string>();
  for (const [path, index] of lastInside) {
    if (!taken.has(path)) aliases.set(path, names[index]);
  }
  return { names, aliases };
}
