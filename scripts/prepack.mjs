// Runs before a package is packed: refuses `npm pack` (it would leave `workspace:*` in the tarball's
// dependencies, which npm cannot install) and builds the package so the tarball holds current dist/.
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const agent = process.env.npm_config_user_agent ?? '';
if (!agent.startsWith('pnpm/')) {
  console.error(
    'Pack codesave packages with pnpm: `npx -y pnpm@12.4.2 pack` (in packages/<name>) replaces the workspace:* ' +
      'versions of @codesave/* with real ones; npm pack would keep workspace:*, and npm install of that tarball fails.',
  );
  process.exit(1);
}
// The package's own build script; the lifecycle's PATH has the workspace's node_modules/.bin (tsc).
execSync(JSON.parse(readFileSync('package.json', 'utf8')).scripts.build, { stdio: 'inherit' });
