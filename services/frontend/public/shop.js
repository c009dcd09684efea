// The pizza-lab web shop: menu, cart, checkout, then the order's saga followed live.
// Plain JavaScript with no build step and no framework, so students can read it as served.

const POLL_MS = 500;
const MAX_QUANTITY = 20; // what the order API accepts per line
const TERMINAL = new Set(['PAID', 'CANCELLED']);
const money = new Intl.NumberFormat('en-IE', { style: 'currency', currency: 'EUR' });
const euros = (cents) => money.format(cents / 100);

const PAYMENT_LABELS = { card: 'Card', paypal: 'PayPal', 'apple-pay': 'Apple Pay', 'card-declined': 'Test card (always declined)' };

/** How each order state reads to a customer, and which saga step put the order there. */
const STATES = {
  PENDING_PAYMENT: { icon: '', label: 'Waiting for payment', step: 'Order placed', note: 'The order and its OrderCreated event were written in one transaction (outbox).' },
  PAID: { icon: '✓', label: 'Paid: your pizza is on its way', step: 'Payment accepted', note: 'The payment service charged the provider and emitted OrderPaid.' },
  CANCELLED: { icon: '✕', label: 'Cancelled', step: 'Order cancelled', note: 'PaymentFailed: the saga compensated by cancelling the order.' },
};

const $ = (id) => document.getElementById(id);

/** A DOM element; text is always set as text, never parsed as HTML. */
function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === undefined || value === null) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) if (child !== null && child !== undefined && child !== false) element.append(child);
  return element;
}

/** A random UUID, also where crypto.randomUUID is missing (a page served over plain http from another host). */
function newIdempotencyKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The API's `{error, message, details}` as a sentence (and the fields at fault, when named). */
function describeError(status, body) {
  if (body && typeof body.message === 'string') {
    const fields = Array.isArray(body.details?.fields) ? body.details.fields.map((f) => f.message) : [];
    const wait = body.details?.retryAfterSeconds;
    return { message: body.message + (wait ? ` (try again in ${wait} s)` : ''), fields: fields.length > 1 ? fields : [] };
  }
  return { message: `The shop answered ${status} without an explanation. Please try again.`, fields: [] };
}

async function readJson(response) {
  const text = await response.text();
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------- the shop

const state = {
  menu: [],
  cart: new Map(), // pizza id → quantity
  /** The attempt whose outcome we do not know (network error, 5xx): a retry reuses its key. */
  unsettled: null, // { key, body }
  sending: false,
  poll: null,
};

async function loadMenu() {
  $('menu-loading').hidden = false;
  $('menu-error').hidden = true;
  try {
    const response = await fetch('/api/v1/menu', { headers: { accept: 'application/json' } });
    const body = await readJson(response);
    if (!response.ok) throw new Error(describeError(response.status, body).message);
    state.menu = body.pizzas;
    renderMenu();
  } catch (error) {
    $('menu-error-text').textContent = `The menu could not be loaded: ${error.message}`;
    $('menu-error').hidden = false;
  } finally {
    $('menu-loading').hidden = true;
  }
}

function setQuantity(id, quantity) {
  const q = Math.max(0, Math.min(MAX_QUANTITY, quantity));
  if (q === 0) state.cart.delete(id);
  else state.cart.set(id, q);
  renderMenuItem(id);
  renderCart();
}

function renderMenu() {
  $('menu-list').replaceChildren(
    ...state.menu.map((pizza) =>
      h('li', { class: 'pizza', id: `pizza-${pizza.id}`, 'data-testid': `pizza-${pizza.id}` },
        h('div', { class: 'pizza-head' }, h('h3', {}, pizza.name), h('span', { class: 'pizza-price' }, euros(pizza.priceCents))),
        h('div', { class: 'badges' },
          pizza.vegetarian && h('span', { class: 'badge badge--veg' }, 'Vegetarian'),
          pizza.spicy && h('span', { class: 'badge badge--spicy' }, 'Spicy')),
        h('p', { class: 'pizza-desc' }, pizza.description),
        h('div', { class: 'stepper', role: 'group', 'aria-label': `Quantity of ${pizza.name}` },
          h('button', { type: 'button', class: 'step', 'aria-label': `One ${pizza.name} less`, 'data-testid': `qty-dec-${pizza.id}`, onclick: () => setQuantity(pizza.id, (state.cart.get(pizza.id) ?? 0) - 1) }, '−'),
          h('output', { 'data-testid': `qty-${pizza.id}`, 'aria-live': 'polite' }, '0'),
          h('button', { type: 'button', class: 'step', 'aria-label': `One more ${pizza.name}`, 'data-testid': `qty-inc-${pizza.id}`, onclick: () => setQuantity(pizza.id, (state.cart.get(pizza.id) ?? 0) + 1) }, '+'))),
    ),
  );
  for (const pizza of state.menu) renderMenuItem(pizza.id);
  renderCart();
}

function renderMenuItem(id) {
  const item = $(`pizza-${id}`);
  if (!item) return;
  const quantity = state.cart.get(id) ?? 0;
  item.classList.toggle('is-chosen', quantity > 0);
  item.querySelector('output').textContent = String(quantity);
  item.querySelector('[data-testid^="qty-dec-"]').disabled = quantity === 0;
  item.querySelector('[data-testid^="qty-inc-"]').disabled = quantity >= MAX_QUANTITY;
}

function cartLines() {
  return state.menu.filter((p) => state.cart.has(p.id)).map((p) => ({ pizza: p, quantity: state.cart.get(p.id) }));
}

function renderCart() {
  const lines = cartLines();
  const totalCents = lines.reduce((sum, l) => sum + l.quantity * l.pizza.priceCents, 0);
  $('cart-empty').hidden = lines.length > 0;
  $('cart-lines').replaceChildren(
    ...lines.map((l) =>
      h('li', { 'data-testid': `cart-line-${l.pizza.id}` }, h('span', {}, `${l.quantity} × ${l.pizza.name}`), h('span', {}, euros(l.quantity * l.pizza.priceCents))),
    ),
  );
  $('cart-total').textContent = euros(totalCents);
  $('place-order').textContent = lines.length > 0 ? `Order · ${euros(totalCents)}` : 'Order';
}

function showOrderError(message, fields = []) {
  const box = $('order-error');
  box.replaceChildren(h('p', {}, message), ...(fields.length > 0 ? [h('ul', {}, ...fields.map((f) => h('li', {}, f)))] : []));
  box.hidden = false;
}

function clearOrderError() {
  $('order-error').hidden = true;
  $('address').removeAttribute('aria-invalid');
}

/** Checks what the browser can check, so the common mistakes are explained before a round trip. */
function validate() {
  if (state.cart.size === 0) return { message: 'Add at least one pizza to your order.' };
  const address = $('address').value.trim();
  if (address.length < 3) return { message: 'Enter a delivery address (at least 3 characters).', field: 'address' };
  return undefined;
}

async function placeOrder(event) {
  event.preventDefault();
  if (state.sending) return;
  clearOrderError();
  const problem = validate();
  if (problem) {
    showOrderError(problem.message);
    if (problem.field) {
      $(problem.field).setAttribute('aria-invalid', 'true');
      $(problem.field).focus();
    }
    return;
  }
  const body = JSON.stringify({
    items: cartLines().map((l) => ({ pizzaId: l.pizza.id, quantity: l.quantity })),
    deliveryAddress: $('address').value.trim(),
    paymentMethod: $('payment').value,
  });
  // A new attempt gets a new key; pressing Order again after an unknown outcome resends the
  // same order with the same key, so the server places it at most once.
  if (!state.unsettled || state.unsettled.body !== body) state.unsettled = { key: newIdempotencyKey(), body };
  const { key } = state.unsettled;

  state.sending = true;
  const button = $('place-order');
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  const label = button.textContent;
  button.textContent = 'Placing your order…';
  try {
    let response;
    try {
      response = await fetch('/api/v1/orders', { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json', 'idempotency-key': key }, body });
    } catch {
      showOrderError('The shop could not be reached, so we do not know whether your order went through. Press Order again: it is safe, the same order will not be placed twice.');
      return;
    }
    const answer = await readJson(response);
    if (response.ok && answer?.orderId) {
      state.unsettled = null;
      state.cart.clear();
      renderMenu();
      openOrder(answer.orderId, answer);
      return;
    }
    // A 4xx means nothing was placed: the next attempt is a new one. After a 5xx the outcome
    // may be unknown (a timeout), so the key is kept for a retry.
    if (response.status < 500 && response.status !== 429) state.unsettled = null;
    const { message, fields } = describeError(response.status, answer);
    showOrderError(`Your order was not placed: ${message}`, fields);
  } finally {
    state.sending = false;
    button.disabled = false;
    button.removeAttribute('aria-busy');
    if (button.textContent === 'Placing your order…') button.textContent = label;
  }
}

// ---------------------------------------------------------------- the order's saga, live

function timeOf(iso) {
  const d = new Date(iso);
  const pad = (n, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

function renderOrder(order) {
  const terminal = TERMINAL.has(order.status);
  const look = STATES[order.status] ?? { icon: '', label: order.status };
  $('order-id').textContent = order.orderId;
  $('state').dataset.status = order.status;
  $('state-icon').textContent = look.icon;
  $('state-label').textContent = look.label;
  $('state-code').textContent = order.status;

  const reason = order.cancelReason ?? order.history?.findLast?.((s) => s.status === 'CANCELLED')?.reason;
  $('cancel-reason').hidden = !(order.status === 'CANCELLED' && reason);
  $('cancel-reason').textContent = reason ? `Why: ${reason}` : '';

  const start = Date.parse(order.createdAt);
  const steps = (order.history ?? [{ status: order.status, at: order.createdAt }]).map((step) => {
    const meta = STATES[step.status] ?? { step: step.status };
    const after = Date.parse(step.at) - start;
    return h('li', { 'data-testid': 'timeline-step', 'data-status': step.status },
      h('div', {}, h('span', { class: 'step-title' }, meta.step), ' ', h('code', {}, step.status)),
      h('time', { class: 'step-time', datetime: step.at }, `${timeOf(step.at)}${after > 0 ? ` · +${after} ms` : ''}`),
      (step.reason || meta.note) && h('p', { class: 'step-note' }, step.reason ?? meta.note));
  });
  if (!terminal) steps.push(h('li', { class: 'is-waiting', 'data-testid': 'timeline-waiting' }, h('span', { class: 'step-title' }, 'Waiting for the payment service…')));
  $('timeline').replaceChildren(...steps);

  $('order-items').replaceChildren(...(order.items ?? []).map((i) => h('li', {}, h('span', {}, `${i.quantity} × ${i.name}`), h('span', {}, money.format(i.quantity * i.unitPrice)))));
  $('order-total').textContent = money.format(order.total);
  $('order-address').textContent = order.deliveryAddress ?? '';
  $('order-payment').textContent = PAYMENT_LABELS[order.paymentMethod] ?? order.paymentMethod ?? '';
  $('order-trace').textContent = order.traceId ?? '—';
  $('trace-command').textContent = `npx pizza-lab trace ${order.orderId}`;
}

function stopPolling() {
  clearTimeout(state.poll?.timer);
  state.poll = null;
}

/** Polls the order until it is PAID or CANCELLED; a failed poll is reported and retried. */
function follow(orderId) {
  stopPolling();
  const poll = { orderId, timer: undefined, failures: 0 };
  state.poll = poll;
  const tick = async () => {
    let done = false;
    try {
      const response = await fetch(`/api/v1/orders/${encodeURIComponent(orderId)}`, { headers: { accept: 'application/json' } });
      const body = await readJson(response);
      if (state.poll !== poll) return;
      if (response.ok && body) {
        poll.failures = 0;
        renderOrder(body);
        done = TERMINAL.has(body.status);
        $('poll-note').textContent = done ? `Settled at ${timeOf(body.updatedAt)}.` : 'Updating live…';
      } else if (response.status === 404 || response.status === 400) {
        $('poll-note').textContent = describeError(response.status, body).message;
        done = true;
      } else {
        poll.failures++;
        $('poll-note').textContent = `The shop answered ${response.status}: ${describeError(response.status, body).message} Still trying…`;
      }
    } catch {
      if (state.poll !== poll) return;
      poll.failures++;
      $('poll-note').textContent = 'Lost contact with the shop; still trying…';
    }
    if (!done && state.poll === poll) poll.timer = setTimeout(tick, poll.failures > 0 ? Math.min(5000, POLL_MS * 2 ** poll.failures) : POLL_MS);
  };
  void tick();
}

function openOrder(orderId, known) {
  $('shop').hidden = true;
  $('status').hidden = false;
  if (known) renderOrder(known);
  else $('order-id').textContent = orderId;
  if (location.hash !== `#/orders/${orderId}`) history.pushState(null, '', `#/orders/${orderId}`);
  $('status-title').focus();
  follow(orderId);
}

function openShop() {
  stopPolling();
  $('status').hidden = true;
  $('shop').hidden = false;
}

/** The URL says what to show: `#/orders/<id>` is an order's status, anything else the shop. */
function route() {
  const match = /^#\/orders\/([0-9a-fA-F-]{36})$/.exec(location.hash);
  if (match) openOrder(match[1]);
  else openShop();
}

$('order-form').addEventListener('submit', placeOrder);
$('menu-retry').addEventListener('click', loadMenu);
$('address').addEventListener('input', () => $('address').removeAttribute('aria-invalid'));
$('new-order').addEventListener('click', () => {
  history.pushState(null, '', location.pathname);
  openShop();
  clearOrderError();
});
window.addEventListener('popstate', route);
void loadMenu();
route();
