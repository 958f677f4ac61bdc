/**
 * How viewers of a session are named and described to each other.
 */
import type { IPresence, IViewer } from './connection';

/** How a viewer is named to others. */
export function viewerName(viewer: IViewer): string {
  return viewer.display_name || viewer.name || viewer.username;
}

/** One line per viewer of a presence: name, and what they do. */
export function presenceLines(presence: IPresence | null): { text: string; viewer: IViewer }[] {
  const viewers = presence?.viewers.filter(v => !v.owner) ?? [];
  return viewers.map(viewer => {
    const role = viewer.driver ? 'drives' : viewer.wantsControl ? 'asks to drive' : 'watches';
    const you = viewer.client === presence?.you ? ' (you)' : '';
    return { text: `${viewerName(viewer)}${you} ${role}`, viewer };
  });
}
