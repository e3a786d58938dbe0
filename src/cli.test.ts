import { describe, expect, it } from 'vitest';
import { readCommandLine, UsageError, type CommandLine } from './cli.js';

const REPORT: CommandLine = { usage: 'Usage: npm run report -- …', options: { from: 'value', out: 'value', 'no-email': 'flag' } };
const IMPORT: CommandLine = { usage: 'Usage: npm run import -- <file>', options: { json: 'flag' }, positional: 1 };

function refusal(argv: string[], line: CommandLine): string {
  try {
    readCommandLine(argv, line);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).usage).toBe(line.usage);
    return (error as Error).message;
  }
  throw new Error(`${argv.join(' ')} was taken`);
}

describe('readCommandLine', () => {
  it('takes the options and arguments a script declares', () => {
    const { options, args } = readCommandLine(['--from', '2026-03-01', '--out=reports', '--no-email'], REPORT);
    expect([...options]).toEqual([['from', '2026-03-01'], ['out', 'reports'], ['no-email', true]]);
    expect(args).toEqual([]);
    expect(readCommandLine(['cases.ndjson', '--json'], IMPORT)).toEqual({ options: new Map([['json', true]]), args: ['cases.ndjson'] });
    expect(readCommandLine(['--json', '-'], IMPORT).args).toEqual(['-']);
  });

  it('refuses an unknown option (whatever follows it), a value option without its value, a flag with one, and stray arguments', () => {
    expect(refusal(['--form', '2026-03-01'], REPORT)).toBe('Unknown option --form.');
    expect(refusal(['-x'], REPORT)).toBe('Unknown option -x.');
    expect(refusal(['--from'], REPORT)).toBe('--from needs a value.');
    expect(refusal(['--from', '--no-email'], REPORT)).toBe('--from needs a value.');
    expect(refusal(['--no-email=yes'], REPORT)).toBe('--no-email takes no value.');
    expect(refusal(['now'], REPORT)).toBe('Unexpected argument "now".');
    expect(refusal(['a.ndjson', 'b.ndjson'], IMPORT)).toBe('Unexpected argument "b.ndjson".');
  });
});
