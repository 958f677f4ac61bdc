/* global wslink */
/*
 * Launches an application through a ParaViewWeb launcher with SmartConnect, subscribes to its
 * image stream and shows the first frame. Everything it learns goes into #result's data
 * attributes for the browser tests (smartconnect.spec.ts). Query parameters:
 *   application, sessionManagerURL  SmartConnect's own configuration
 *   xsrf=1      send Jupyter's _xsrf cookie as X-XSRFToken (config.headers): what a
 *               cookie-authenticated POST to Jupyter needs
 *   topic, viewId, size=WxH         the image stream to subscribe to and the size to ask for
 */
(() => {
  const params = new URLSearchParams(window.location.search);
  const result = document.getElementById('result');
  const report = (state, text) => {
    result.dataset.state = state;
    result.textContent = text;
  };

  const config = {
    application: params.get('application'),
    sessionManagerURL: params.get('sessionManagerURL')
  };
  if (params.get('xsrf') === '1') {
    const xsrf = document.cookie.match(/(?:^|;\s*)_xsrf=([^;]*)/);
    config.headers = { 'X-XSRFToken': xsrf ? decodeURIComponent(xsrf[1]) : '' };
  }
  const topic = params.get('topic');
  const viewId = params.get('viewId');
  const size = (params.get('size') || '160x120').split('x').map(Number);

  const smartConnect = wslink.SmartConnect.newInstance({ config });

  smartConnect.onConnectionReady(connection => {
    const session = connection.getSession();
    const launched = smartConnect.getConfig();
    result.dataset.id = launched.id;
    result.dataset.sessionUrl = launched.sessionURL;
    result.dataset.secret = launched.secret;
    report('connected', `connected to ${launched.sessionURL}`);
    session.subscribe(topic, ([frame]) => {
      const image = document.getElementById('frame');
      image.onload = () => {
        result.dataset.width = String(image.naturalWidth);
        result.dataset.height = String(image.naturalHeight);
        result.dataset.frameSize = frame.size.join('x');
        report('frame', `frame ${frame.mtime}: ${frame.format} ${frame.size.join('x')}`);
      };
      image.src = URL.createObjectURL(new Blob([frame.image], { type: `image/${frame.format}` }));
    });
    session
      .call('viewport.image.push.observer.add', [viewId])
      .then(() => session.call('viewport.image.push', [{ size }]))
      .catch(error => report('error', `RPC failed: ${JSON.stringify(error)}`));
  });

  smartConnect.onConnectionError((connection, error) => {
    const what = typeof error === 'string' ? error : (error && (error.message || error.type)) || '';
    // The URL tried: SmartConnect's fallback when the launch failed, else the sessionURL.
    report('error', `connection error (${smartConnect.getConfig().sessionURL}): ${what}`);
  });

  smartConnect.onConnectionClose((connection, event) => {
    if (['connecting', 'connected'].includes(result.dataset.state)) {
      report('error', `connection closed (${event && event.code}) before a frame arrived`);
    }
  });

  smartConnect.connect();
})();
