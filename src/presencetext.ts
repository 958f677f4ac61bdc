/**
 * How viewers of a session are named and described to each other.
 */
import type { IPresence, IViewer } from './connection';

/** How a viewer is named to others. */
export function viewerName(viewer: IViewer): string {
  return viewer.display_name || viewer.name || viewer.username;
}

/**
 * One line per viewer of a presence: name, and what they do (`label`: the name alone, for the
 * viewport's footer). Different people with the same name (Jupyter names anonymous users
 * after a few dozen moons) get the start of their username after it, so they can be told
 * apart.
 */
export function presenceLines(
  presence: IPresence | null
): { text: string; label: string; viewer: IViewer }[] {
  const viewers = presence?.viewers.filter(v => !v.owner) ?? [];
  const names = viewers.map(viewerName);
  const people = new Map<string, Set<string>>(); // name -> the usernames that carry it
  viewers.forEach((viewer, i) =>
    people.set(names[i], (people.get(names[i]) ?? new Set()).add(viewer.username))
  );
  return viewers.map((viewer, i) => {
    const name = names[i];
    const shared = (people.get(name)?.size ?? 0) > 1;
    const label = shared ? `${name} (${viewer.username.slice(0, USERNAME_HINT)})` : name;
    const role = viewer.driver ? 'drives' : viewer.wantsControl ? 'asks to drive' : 'watches';
    const you = viewer.client === presence?.you ? ' (you)' : '';
    return { text: `${label}${you} ${role}`, label, viewer };
  });
}

/** How much of a username tells two people of the same name apart. */
const USERNAME_HINT = 8;
