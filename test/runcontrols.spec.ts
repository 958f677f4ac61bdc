/**
 * The run state as the viewport's run controls read and describe it.
 */
import { asRunState, describeRun, IRunState, pauseHint } from '../src/runcontrols';

const running: IRunState = { paused: false, step: 12, live_step: 12, kept: [8, 12] };

describe('asRunState', () => {
  it('accepts what the engine answers and publishes', () => {
    expect(asRunState({ ...running, held: false, pause_timeout: 300 })).toMatchObject(running);
    expect(asRunState({ ...running, kept: null })).not.toBeNull();
  });

  it('rejects anything else', () => {
    for (const bad of [
      null,
      'paused',
      { ...running, paused: 'yes' },
      { ...running, step: 1.5 },
      { ...running, kept: [1] },
      { paused: true }
    ]) {
      expect(asRunState(bad)).toBeNull();
    }
  });
});

describe('describeRun', () => {
  it('says the step, how far behind live, and whether the run is held', () => {
    expect(describeRun(running)).toBe('step 12');
    expect(describeRun({ ...running, step: 9 })).toBe('step 9 · 3 behind live (12)');
    expect(describeRun({ ...running, paused: true, held: true })).toBe('paused · step 12');
    expect(describeRun({ ...running, paused: true, held: false })).toBe(
      'pausing at the next step · step 12'
    );
  });
});

describe('pauseHint', () => {
  it('says how long a pause without viewers lasts', () => {
    expect(pauseHint({ ...running, pause_timeout: 300 })).toContain(
      'ends by itself 5 min after the last viewer leaves'
    );
    expect(pauseHint({ ...running, pause_timeout: 5 })).toContain('5 s after');
    expect(pauseHint(null)).not.toContain('ends by itself');
  });
});
