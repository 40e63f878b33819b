// ReDoc 2 always draws Redocly's badge from cdn.redoc.ly, with no option to turn it off (Redocly/redoc#2108):
// a request to a third party on every load, or a CSP violation report under `img-src 'self'`. An empty data:
// URL fails to decode locally instead, and ReDoc's own onError handler then removes the badge.
// React sets an <img>'s src both ways (the attribute while creating it, the property again on mount).
(() => {
  const offline = (value) => (String(value).startsWith("https://cdn.redoc.ly/") ? "data:," : value);

  const setAttribute = Element.prototype.setAttribute;
  Element.prototype.setAttribute = function (name, value) {
    const isImageSrc = this instanceof HTMLImageElement && name.toLowerCase() === "src";
    return setAttribute.call(this, name, isImageSrc ? offline(value) : value);
  };

  const src = Object.getOwnPropertyDescriptor(HTMLImageElement.prototype, "src");
  Object.defineProperty(HTMLImageElement.prototype, "src", {
    ...src,
    set(value) {
      src.set.call(this, offline(value));
    },
  });
})();
