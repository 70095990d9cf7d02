// Sign up and log in (POST /v1/accounts, POST /v1/sessions): the bearer token is kept in
// localStorage (store.js) so that a reopened tab keeps its queue place.
import { call } from './api.js';
import { h, alert_error } from './ui.js';
import { session, set_session } from './store.js';

/** Logs in and keeps the session; returns it. */
async function log_in(email, password, on_wait) {
  const s = await call('/v1/sessions', { method: 'POST', body: { email, password }, on_wait });
  const kept = { token: s.token, account: s.account, email, expires_at: s.expires_at };
  set_session(kept);
  return kept;
}

/**
 * Fills #account-view with the form; `on_done(session)` once logged in. The same form signs
 * up (then logs in) or logs in.
 */
export function account_form(on_done) {
  const view = document.getElementById('account-view');
  const status = h('p', { role: 'status', 'aria-live': 'polite' });
  const email = h('input', {
    id: 'email', type: 'email', autocomplete: 'username', required: true,
  });
  const password = h('input', {
    id: 'password', type: 'password', autocomplete: 'current-password', required: true,
    minlength: '8', maxlength: '128', 'aria-describedby': 'password-hint',
  });
  const on_wait = (s) => {
    status.textContent = `The server is busy: trying again in ${Math.ceil(s)} s…`;
  };
  const act = async (sign_up) => {
    if (!email.reportValidity() || !password.reportValidity()) return;
    alert_error(null);
    status.textContent = sign_up ? 'Creating your account…' : 'Logging in…';
    try {
      if (sign_up) {
        await call('/v1/accounts', {
          method: 'POST', body: { email: email.value, password: password.value }, on_wait,
        });
      }
      const s = await log_in(email.value, password.value, on_wait);
      status.textContent = '';
      password.value = '';
      on_done(s);
    } catch (err) {
      status.textContent = '';
      alert_error(err);
    }
  };
  const form = h('form', {
    class: 'card',
    onsubmit: (e) => {
      e.preventDefault();
      act(e.submitter && e.submitter.value === 'signup');
    },
  },
  h('div', { class: 'field' }, h('label', { for: 'email', text: 'E-mail' }), email),
  h('div', { class: 'field' }, h('label', { for: 'password', text: 'Password' }), password,
    h('p', { id: 'password-hint', class: 'hint', text: 'At least 8 characters.' })),
  h('div', { class: 'actions' },
    h('button', { type: 'submit', value: 'login', class: 'primary' }, 'Log in'),
    h('button', { type: 'submit', value: 'signup' }, 'Sign up')),
  status);
  view.replaceChildren(
    h('h2', { text: 'Your account' }),
    h('p', { text: 'Log in, or sign up with a new e-mail, to join the queue and buy tickets.' }),
    form,
  );
}

/** Shows who is logged in in the header, with a log-out button. */
export function show_who(on_logout) {
  const who = document.getElementById('who');
  const s = session();
  if (!s) {
    who.replaceChildren();
    return;
  }
  who.replaceChildren(
    h('span', { text: s.email || 'Logged in' }),
    h('button', {
      type: 'button',
      class: 'link',
      onclick: async () => {
        try {
          await call('/v1/sessions', { method: 'DELETE', token: s.token, tries: 1 });
        } catch {
          // the token ends here anyway
        }
        set_session(null);
        on_logout();
      },
    }, 'Log out'),
  );
}
