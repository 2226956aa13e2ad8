/**
 * The atlas page's script, as the text the site ships (`atlas.js`): plain browser JavaScript,
 * no build step and no `fetch`, so the site opens from disk (file://) as well as from any
 * static host. It reads `window.CONVSCOPE_ATLAS` (set by `atlas-data.js`) and draws one of
 * three views from the URL's hash: the index of layers (empty hash), a layer with every unit
 * (`#layer`), or a unit with its optimized image, kernel, top patches with their deconvnet
 * projections and statistics side by side (`#layer/unit`). When `convscope serve --atlas`
 * serves the site it also sets `window.CONVSCOPE_WORKBENCH`, and each unit links to the live
 * view of that unit in the workbench.
 */
export const SITE_SCRIPT = String.raw`'use strict';
(function () {
  var atlas = window.CONVSCOPE_ATLAS;
  var live = window.CONVSCOPE_WORKBENCH;
  var content = document.getElementById('content');
  var nav = document.getElementById('layers');

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') node.textContent = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) {
      if (c) node.appendChild(c);
    });
    return node;
  }
  function num(v) {
    return typeof v === 'number' ? Number(v.toPrecision(4)).toString() : '-';
  }
  function picture(src, cls, alt) {
    return src ? el('img', { src: src, class: 'px ' + cls, alt: alt, loading: 'lazy' }) : el('span', { class: 'missing ' + cls, text: 'not yet' });
  }
  function hashOf(layer, unit) {
    return '#' + encodeURIComponent(layer) + (unit === undefined ? '' : '/' + unit);
  }
  if (!atlas) {
    content.appendChild(el('div', { class: 'error', text: 'atlas-data.js is missing or damaged: build the site again with convscope atlas --out DIR.' }));
    return;
  }
  var byLayer = {};
  atlas.units.forEach(function (u) {
    (byLayer[u.layer] = byLayer[u.layer] || []).push(u);
  });
  var s = atlas.settings;
  document.getElementById('model').textContent =
    s.model + ' (' + atlas.input.height + 'x' + atlas.input.width + 'x' + atlas.input.channels + '), ' +
    s.preset + ', ' + s.steps + ' steps, ' + s.engine + (s.images ? ', patches from ' + s.images.split(/[\\/]/).pop() : '');
  var done = atlas.units.filter(function (u) { return u.image; }).length;
  document.getElementById('progress').textContent = done + ' / ' + atlas.units.length + ' units';

  function field(layer) {
    var f = layer.receptiveField;
    return f ? f.size + ' px receptive field (jump ' + f.jump + ')' : 'whole input';
  }
  function tile(u) {
    var dead = u.stats && u.stats.dead;
    return el('a', { class: 'unit-tile' + (dead ? ' dead' : ''), href: hashOf(u.layer, u.index), title: u.layer + ' #' + u.index }, [
      picture(u.image, 'thumb', u.layer + ' ' + u.index),
      el('span', { class: 'caption', text: '#' + u.index + (dead ? ' dead' : '') }),
    ]);
  }
  function drawNav(current) {
    nav.textContent = '';
    nav.appendChild(el('a', { href: '#', class: 'layer-link' + (current ? '' : ' active'), text: 'all layers' }));
    atlas.layers.forEach(function (l) {
      nav.appendChild(el('a', { href: hashOf(l.name), class: 'layer-link' + (current === l.name ? ' active' : ''), 'data-layer': l.name, text: l.name + ' (' + l.channels + ')' }));
    });
  }
  function index() {
    content.appendChild(el('h2', { text: 'Layers' }));
    atlas.layers.forEach(function (l) {
      var units = byLayer[l.name] || [];
      content.appendChild(el('section', { class: 'layer-card' }, [
        el('h3', {}, [el('a', { href: hashOf(l.name), class: 'layer-title', text: l.name })]),
        el('p', { class: 'muted', text: l.kind + ', ' + l.channels + ' units, ' + field(l) }),
        el('div', { class: 'tiles' }, units.slice(0, 12).map(tile)),
      ]));
    });
  }
  function layerView(name) {
    var layer = atlas.layers.filter(function (l) { return l.name === name; })[0];
    if (!layer) return notFound('no layer ' + name + ' in this atlas');
    var units = byLayer[name] || [];
    var dead = units.filter(function (u) { return u.stats && u.stats.dead; }).length;
    content.appendChild(el('h2', { text: name }));
    content.appendChild(el('p', { class: 'muted', text: layer.kind + ', ' + units.length + ' units (' + dead + ' dead), ' + field(layer) + (layer.kernelShape ? ', kernel ' + layer.kernelShape.join('x') : '') }));
    content.appendChild(el('div', { class: 'tiles' }, units.map(tile)));
  }
  function stat(name, value) {
    return el('tr', {}, [el('th', { text: name }), el('td', { text: value })]);
  }
  function unitView(name, k) {
    var u = (byLayer[name] || []).filter(function (x) { return x.index === k; })[0];
    if (!u) return notFound('no unit ' + name + '/' + k + ' in this atlas');
    var layer = atlas.layers.filter(function (l) { return l.name === name; })[0];
    var st = u.stats || {};
    var links = [el('a', { href: hashOf(name), text: 'back to ' + name })];
    if (k > 0) links.push(el('a', { href: hashOf(name, k - 1), text: 'previous' }));
    if (k + 1 < layer.channels) links.push(el('a', { href: hashOf(name, k + 1), text: 'next' }));
    if (live) {
      var query = 'view=filters&layer=' + encodeURIComponent(name) + '&filters=' + k + (live.model ? '&model=' + encodeURIComponent(live.model) : '');
      links.push(el('a', { href: live.url + '?' + query, class: 'live-link', text: 'open live in the workbench' }));
    }
    content.appendChild(el('h2', { text: name + ' #' + k }));
    content.appendChild(el('nav', { class: 'unit-links' }, links));
    var facets = (u.facets || []).slice(1).map(function (f, j) { return picture(f, 'big facet', 'facet ' + (j + 1)); });
    var patches = (u.patches || []).map(function (p, r) {
      return el('figure', { class: 'patch' }, [
        el('div', { class: 'pair' }, [picture(p.file, 'patch-img', 'patch ' + r), p.deconv ? picture(p.deconv, 'patch-img deconv', 'projection ' + r) : null]),
        el('figcaption', { text: num(p.activation) + ' ' + p.image }),
      ]);
    });
    content.appendChild(el('div', { class: 'unit-view' }, [
      el('section', { class: 'panel' }, [el('h3', { text: 'optimized image' }), picture(u.image, 'big', 'optimized image')].concat(facets)),
      el('section', { class: 'panel' }, [el('h3', { text: 'kernel' }), picture(u.kernel, 'kernel', 'kernel')]),
      el('section', { class: 'panel' }, [el('h3', { text: 'statistics' }), el('table', { class: 'stats' }, [
        stat('optimized activation', num(st.optimized)),
        stat('best natural activation', num(st.natural)),
        stat('state', st.dead ? 'dead' + (st.reason ? ': ' + st.reason : '') : st.optimized === undefined ? 'not built yet' : 'alive'),
        stat('receptive field', field(layer)),
        stat('saturated', num(st.saturated)),
        stat('high frequency', num(st.highFrequency)),
        stat('optimization runs', String(u.attempts)),
      ])]),
    ]));
    if (s.images) {
      content.appendChild(el('section', { class: 'panel patches' }, [el('h3', { text: 'top ' + s.top + ' dataset patches | deconvnet projection' }), el('div', { class: 'patch-grid' }, patches)]));
    }
  }
  function notFound(message) {
    content.appendChild(el('div', { class: 'error', text: message }));
  }
  function draw() {
    content.textContent = '';
    var parts = location.hash.replace(/^#/, '').split('/');
    var name = decodeURIComponent(parts[0] || '');
    drawNav(name);
    if (!name) index();
    else if (parts.length > 1) unitView(name, Number(parts[1]));
    else layerView(name);
    window.scrollTo(0, 0);
  }
  window.addEventListener('hashchange', draw);
  draw();
})();
`;
