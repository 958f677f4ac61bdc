/**
 * The side panel's list of who watches a session and who drives.
 */
import type { IPresence } from '../src/connection';
import { presenceLines } from '../src/presencetext';

const viewer = (client: string, name: string, extra = {}) => ({
  client,
  username: name.toLowerCase(),
  name,
  owner: false,
  driver: false,
  wantsControl: false,
  ...extra
});

describe('presenceLines', () => {
  it('names every viewer with what they do, and which one you are', () => {
    const presence: IPresence = {
      driver: 'a',
      you: 'b',
      viewers: [
        { ...viewer('o', 'Owner'), owner: true },
        viewer('a', 'Ada', { driver: true }),
        viewer('b', 'Bob'),
        viewer('c', 'Cy', { wantsControl: true, display_name: 'Cy D.' })
      ]
    };
    expect(presenceLines(presence).map(line => line.text)).toEqual([
      'Ada drives',
      'Bob (you) watches',
      'Cy D. asks to drive'
    ]);
  });

  it('tells apart different people of the same name, not one person in two viewports', () => {
    const presence: IPresence = {
      driver: null,
      you: 'b',
      viewers: [
        viewer('a', 'Anonymous Io', { username: '0f3a9c1e77d2' }),
        viewer('b', 'Anonymous Io', { username: 'c41b08aa9e10' }),
        viewer('c', 'Ada'),
        viewer('d', 'Ada')
      ]
    };
    expect(presenceLines(presence).map(line => line.text)).toEqual([
      'Anonymous Io (0f3a9c1e) watches',
      'Anonymous Io (c41b08aa) (you) watches',
      'Ada watches',
      'Ada watches'
    ]);
    // The viewport footer's tooltips use the same names.
    expect(presenceLines(presence).map(line => line.label)).toEqual([
      'Anonymous Io (0f3a9c1e)',
      'Anonymous Io (c41b08aa)',
      'Ada',
      'Ada'
    ]);
  });

  it('is empty before the engine said anything', () => {
    expect(presenceLines(null)).toEqual([]);
  });
});
