/**
 * Viewer links: the URL a session's link makes and the session the router reads back.
 */
import { sessionOfSearch, viewerLink } from '../src/viewerurl';

describe('viewer links', () => {
  it('opens JupyterLab on this server with the session in the query', () => {
    expect(viewerLink('ab12', 'http://host:8888/user/x/')).toBe(
      'http://host:8888/user/x/lab?pvw-session=ab12'
    );
  });

  it('reads back the session it names, escaped or among other parameters', () => {
    const link = viewerLink('a b&c', 'http://h/');
    expect(sessionOfSearch(new URL(link).search)).toBe('a b&c');
    expect(sessionOfSearch('?reset&pvw-session=ab12')).toBe('ab12');
    expect(sessionOfSearch('?pvw-session=')).toBeNull();
    expect(sessionOfSearch('?other=1')).toBeNull();
  });
});
