// Web chat, progressively enhanced: messages are sent with fetch and the replies appended without a
// page reload. Without this script every form still works as a plain POST followed by a redirect.
(function () {
  'use strict';
  var log = document.getElementById('log');
  var compose = document.querySelector('form.compose');
  if (!log || !compose || !window.fetch || !window.crypto) return;
  var busy = false;

  // A new id per message: a double submit of the same message is dropped by the server's inbox.
  function uuid() {
    if (crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join('');
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
  }

  function el(tag, className, text) {
    var e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // Buttons of earlier prompts become a plain list: only the latest prompt can be answered by a tap.
  function retireChoices() {
    var forms = log.querySelectorAll('form.choices');
    for (var i = 0; i < forms.length; i++) {
      var form = forms[i];
      var list = el('ul', 'old-choices');
      var buttons = form.querySelectorAll('button');
      for (var j = 0; j < buttons.length; j++) list.appendChild(el('li', '', buttons[j].textContent));
      form.parentNode.replaceChild(list, form);
    }
  }

  function addMine(text) {
    var li = el('li', 'msg me');
    li.appendChild(el('p', 'text', text));
    log.appendChild(li);
  }

  function addBot(m, withButtons) {
    var li = el('li', 'msg bot');
    li.appendChild(el('p', 'text', m.text));
    if (m.choices && m.choices.length > 0) {
      if (withButtons) {
        var form = el('form', 'choices');
        form.method = 'post';
        form.action = '/chat/send';
        form.setAttribute('data-chat-form', '');
        if (m.scope) {
          var scope = el('input');
          scope.type = 'hidden';
          scope.name = 'scope';
          scope.value = m.scope;
          form.appendChild(scope);
        }
        m.choices.forEach(function (c) {
          var b = el('button', '', c.label);
          b.type = 'submit';
          b.name = 'choice';
          b.value = c.id;
          form.appendChild(b);
        });
        li.appendChild(form);
      } else {
        var list = el('ul', 'old-choices');
        m.choices.forEach(function (c) { list.appendChild(el('li', '', c.label)); });
        li.appendChild(list);
      }
    }
    log.appendChild(li);
  }

  // The page's end, not the last message: the sticky text box would cover the newest buttons.
  function scrollToEnd() {
    window.scrollTo(0, document.documentElement.scrollHeight);
  }

  function setBusy(on) {
    busy = on;
    var buttons = document.querySelectorAll('form[data-chat-form] button');
    for (var i = 0; i < buttons.length; i++) buttons[i].disabled = on;
    document.body.classList.toggle('busy', on);
  }

  function showError(text) {
    var old = document.getElementById('chat-error');
    if (old) old.parentNode.removeChild(old);
    if (!text) return;
    var p = el('p', 'error', text);
    p.id = 'chat-error';
    p.setAttribute('role', 'alert');
    compose.parentNode.insertBefore(p, compose);
  }

  document.addEventListener('submit', function (e) {
    var form = e.target;
    if (!form.hasAttribute || !form.hasAttribute('data-chat-form')) return;
    e.preventDefault();
    if (busy) return;
    var submitter = e.submitter;
    var body = { event: uuid() };
    var shown;
    var input = form.querySelector('input[name="text"]');
    if (submitter && submitter.name === 'choice') {
      body.choice = submitter.value;
      var scope = form.querySelector('input[name="scope"]');
      if (scope && scope.value) body.scope = scope.value;
      shown = submitter.textContent;
    } else if (submitter && submitter.name === 'text') {
      body.text = submitter.value;
      shown = submitter.textContent;
    } else if (input) {
      body.text = input.value.trim();
      shown = body.text;
      if (!body.text) return;
    } else {
      return;
    }
    var typed = form === compose;
    setBusy(true);
    showError('');
    fetch('/chat/send', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(body),
    })
      .then(function (res) {
        if (res.status === 401) {
          window.location.reload();
          return null;
        }
        if (!res.ok) throw new Error('HTTP ' + res.status);
        return res.json();
      })
      .then(function (data) {
        if (!data) return;
        retireChoices();
        addMine(shown);
        var last = data.messages.length - 1;
        data.messages.forEach(function (m, i) { addBot(m, i === last); });
        if (typed && input) input.value = '';
        scrollToEnd();
      })
      .catch(function () {
        showError('Chưa gửi được tin nhắn. Anh/Chị kiểm tra kết nối rồi thử lại.');
      })
      .then(function () {
        setBusy(false);
        // Focus returns to the text box only after typing: on a phone it would pop the keyboard up.
        if (typed && input) input.focus();
      });
  });

  scrollToEnd();
})();
