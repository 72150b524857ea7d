/** Entry point of bin/sigstore (bundled as dist/cli.js). */
import { main, reportError } from './main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.exitCode = reportError(e, 0);
  },
);
