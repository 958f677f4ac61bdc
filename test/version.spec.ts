/**
 * The version is package.json's everywhere: the ipywidget module version here, the Python
 * package through hatch-nodejs-version (checked by python/tests/test_wheel.py).
 */
import * as fs from 'fs';
import * as path from 'path';

import { MODULE_VERSION } from '../src/tokens';

describe('the version', () => {
  it('of the ipywidget module is package.json’s', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf-8'));
    expect(MODULE_VERSION).toBe(pkg.version);
  });
});
