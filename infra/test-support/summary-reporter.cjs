'use strict';
// Mocha reporter: the built-in Spec output, then one closing line `N passed, N failed` (alone on its
// line) for CI, which otherwise has only mocha's `N passing` / `N failing` and the exit code.
// Loaded by path from .mocharc.json ("reporter"); mocha 12 require()s custom reporters, hence .cjs.
const { Base, Spec } = require('mocha/lib/reporters/index.cjs');

class SummaryReporter extends Spec {
  static description = 'spec, closing with "N passed, N failed"';

  constructor(runner, options) {
    super(runner, options); // Spec prints its epilogue on 'end' first; this listener runs after it
    runner.once('end', () => {
      const { passes = 0, failures = 0 } = this.stats;
      Base.consoleLog(`${passes} passed, ${failures} failed`);
    });
  }
}

module.exports = SummaryReporter;
