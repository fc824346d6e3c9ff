// "Who serves here?": a click on the map (or the resident's location) asks /api/v1/contacts/here for the
// ward there, its councillor and committee and the contacts serving the place. Labels come translated
// from the page's data attributes.
(function () {
  "use strict";
  const mapElement = document.getElementById("map");
  const label = (name) => mapElement.dataset["label" + name];
  const result = document.getElementById("who-serves-result");
  const map = L.map(mapElement);
  window.imbizoMap = map;
  if (mapElement.dataset.tileUrl) L.tileLayer(mapElement.dataset.tileUrl, { maxZoom: 19 }).addTo(map);
  const extent = mapElement.dataset.extent.split(",").map(Number);
  if (extent.length === 4 && extent.every(Number.isFinite)) {
    map.fitBounds([[extent[1], extent[0]], [extent[3], extent[2]]]);
  } else {
    map.setView([-26.5, 28.4], 9);
  }
  const brand = getComputedStyle(document.documentElement).getPropertyValue("--brand").trim() || "#1f5f8b";
  const wards = L.geoJSON(null, { style: { color: brand, weight: 1.2, fillOpacity: 0.05 } }).addTo(map);
  fetch("/api/v1/wards/?municipality=" + encodeURIComponent(mapElement.dataset.municipality))
    .then((response) => response.json())
    .then((collection) => { wards.addData(collection); mapElement.dataset.wardsDrawn = String(collection.features.length); });
  const marker = L.layerGroup().addTo(map);

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function contactItem(contact) {
    const item = element("li", "contact");
    item.appendChild(element("div", "contact-name", contact.name));
    item.appendChild(element("div", "muted", [contact.kind_name, contact.role].filter(Boolean).join(" · ")));
    if (contact.phone) {
      const phone = element("a", "", contact.phone_display || contact.phone);
      phone.href = "tel:" + contact.phone;
      item.appendChild(element("div")).appendChild(phone);
    }
    if (contact.email) {
      const email = element("a", "", contact.email);
      email.href = "mailto:" + contact.email;
      item.appendChild(element("div")).appendChild(email);
    }
    return item;
  }
  function section(title, contacts, id) {
    const wrapper = element("div");
    wrapper.appendChild(element("h3", "", title));
    const list = element("ul", "contact-list");
    list.id = id;
    contacts.forEach((contact) => list.appendChild(contactItem(contact)));
    if (!contacts.length) list.appendChild(element("li", "muted", label("None")));
    wrapper.appendChild(list);
    return wrapper;
  }

  function lookup(latlng) {
    marker.clearLayers();
    L.circleMarker(latlng, { radius: 7, color: "#fff", weight: 2, fillColor: "#d63384", fillOpacity: 1 })
      .bindTooltip(label("Here")).addTo(marker);
    result.textContent = label("Looking");
    result.removeAttribute("data-loaded");
    fetch(`/api/v1/contacts/here?lat=${latlng.lat.toFixed(6)}&lon=${latlng.lng.toFixed(6)}`)
      .then((response) => response.json().then((body) => ({ ok: response.ok, body })))
      .then(({ ok, body }) => {
        result.replaceChildren();
        result.className = "";
        if (!ok) {
          result.appendChild(element("p", "outside", body.detail || label("Failed")));
        } else {
          const ward = body.ward;
          const heading = element("p", "ward-heading", ward ? `${label("Ward")} ${ward.number} (${ward.code})` : label("NoWard"));
          heading.id = "here-ward";
          result.appendChild(heading);
          result.appendChild(section(label("Councillor"), body.councillor ? [body.councillor] : [], "here-councillor"));
          result.appendChild(section(label("Committee"), body.committee, "here-committee"));
          result.appendChild(section(label("Contacts"), body.contacts, "here-contacts"));
        }
        result.dataset.loaded = "true";
      })
      .catch(() => { result.textContent = label("Failed"); result.dataset.loaded = "true"; });
  }
  map.on("click", (event) => lookup(event.latlng));
  document.getElementById("locate").addEventListener("click", () => {
    if (!navigator.geolocation) return;
    navigator.geolocation.getCurrentPosition((position) => {
      const latlng = L.latLng(position.coords.latitude, position.coords.longitude);
      map.setView(latlng, 14);
      lookup(latlng);
    });
  });
})();
