/**
 * Issue 23: which libtorch a build uses, read from its files (scripts/libtorch.mjs) — the version
 * from the headers in the layouts of Debian's 1.13 and of 2.x (pip wheels, official zips: the numbers
 * moved to torch/headeronly/version.h, and the build log said `libtorch ?.?.?`), and the C++ standard
 * the addon must be compiled as (libtorch 2.13's headers need C++20).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain JavaScript, run at install time before anything is compiled
import { cxxStandard, locateLibtorch } from '../../scripts/libtorch.mjs';

const root = mkdtempSync(join(tmpdir(), 'libtorch-layout-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function write(path: string, text: string) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}
const numbers = (major: number, minor: number, patch: number) =>
  `#pragma once\n/// comment\n#define TORCH_VERSION_MAJOR ${major}\n#define TORCH_VERSION_MINOR ${minor}\n#define TORCH_VERSION_PATCH ${patch}\n#define TORCH_VERSION "${major}.${minor}.${patch}"\n`;
const API_VERSION = 'include/torch/csrc/api/include/torch/version.h';

/** A libtorch folder: headers in the given style, and optionally TorchConfig.cmake's CXX_STANDARD. */
function libtorch(
  name: string,
  o: { version: [number, number, number]; headerOnly: boolean; cmakeStd?: number },
) {
  const dir = join(root, name);
  if (o.headerOnly) {
    write(
      join(dir, API_VERSION),
      '#if !defined(TORCH_STABLE_ONLY)\n#include <torch/headeronly/version.h>\n#else\n#error "no"\n#endif\n',
    );
    write(join(dir, 'include/torch/headeronly/version.h'), numbers(...o.version));
  } else write(join(dir, API_VERSION), numbers(...o.version));
  if (o.cmakeStd !== undefined)
    write(
      join(dir, 'share/cmake/Torch/TorchConfig.cmake'),
      `set_target_properties(torch PROPERTIES\n    INTERFACE_INCLUDE_DIRECTORIES "\${TORCH_INCLUDE_DIRS}"\n    CXX_STANDARD ${o.cmakeStd}\n)\n`,
    );
  return locateLibtorch({ env: { LIBTORCH: dir } });
}

describe('scripts/libtorch.mjs', () => {
  it('reads the version in the 1.x layout and through 2.x’s torch/headeronly/version.h', () => {
    expect(libtorch('v1', { version: [1, 13, 1], headerOnly: false }).version).toBe('1.13.1');
    expect(libtorch('v2', { version: [2, 13, 0], headerOnly: true }).version).toBe('2.13.0');
    expect(locateLibtorch({ env: { LIBTORCH: join(root, 'nothing') } }).version).toBe('unknown');
  });

  it('compiles as the C++ standard TorchConfig.cmake asks for, never below C++17', () => {
    expect(cxxStandard(libtorch('c14', { version: [1, 13, 0], headerOnly: false, cmakeStd: 14 }))).toBe(17);
    expect(cxxStandard(libtorch('c17', { version: [2, 5, 0], headerOnly: false, cmakeStd: 17 }))).toBe(17);
    expect(cxxStandard(libtorch('c20', { version: [2, 13, 0], headerOnly: true, cmakeStd: 20 }))).toBe(20);
  });

  it('without the CMake files (headers only), C++20 from libtorch 2.13', () => {
    expect(cxxStandard(libtorch('h212', { version: [2, 12, 0], headerOnly: true }))).toBe(17);
    expect(cxxStandard(libtorch('h213', { version: [2, 13, 0], headerOnly: true }))).toBe(20);
    expect(cxxStandard(libtorch('h300', { version: [3, 0, 0], headerOnly: true }))).toBe(20);
  });

  it("Debian's libtorch: its own header numbers, C++17", () => {
    const torch = locateLibtorch({ env: {} });
    if (torch.problems.length) return; // not a Debian install (LIBTORCH-only machine)
    expect(torch.version).toMatch(/^\d+\.\d+\.\d+$/);
    if (torch.version.startsWith('1.')) expect(cxxStandard(torch)).toBe(17);
  });
});
