import { nullTranslator } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';
import { act } from 'react';

import { ReproRequestError } from '../common/api';
import {
  AskRelease,
  IReleaseValues,
  ReleaseForm,
  releaseMessage,
  releaseRun,
  validateTagName
} from '../compare/release';
import { IReleaseReply } from '../compare/types';
import { FakeServer } from './snapshotFakes';

const trans = nullTranslator.load('jupyterlab_repro');

const REPLY: IReleaseReply = {
  tag: 'v1.0',
  commit: 'c'.repeat(40),
  code: 'd'.repeat(40),
  snapshot: false,
  model_card: false,
  message: 'Released.'
};

/** An AskRelease that gives the answers in turn and records what it was shown. */
function scripted(answers: (IReleaseValues | null)[]): {
  ask: AskRelease;
  shown: { initial: IReleaseValues; error: string | null }[];
} {
  const shown: { initial: IReleaseValues; error: string | null }[] = [];
  return {
    shown,
    ask: async (initial, error) => {
      shown.push({ initial: { ...initial }, error });
      if (shown.length > answers.length) {
        throw new Error('asked too often');
      }
      return answers[shown.length - 1];
    }
  };
}

const values = (
  name: string,
  message = '',
  modelCard = false
): IReleaseValues => ({ name, message, modelCard });

describe('validateTagName', () => {
  it.each(['v1.0.0', 'release/2026-01', 'model-a_b', 'ünïcode', 'v1.0.0-rc.1'])(
    'accepts %s',
    name => {
      expect(validateTagName(name, trans)).toBeNull();
    }
  );

  it.each([
    ['', 'A tag name is required.'],
    ['   ', 'A tag name is required.'],
    ['v 1', 'A tag name has no spaces.'],
    ['v1\t', 'A tag name has no spaces.'],
    ['a~b', 'A tag name has none of'],
    ['a^b', 'A tag name has none of'],
    ['a:b', 'A tag name has none of'],
    ['a?b', 'A tag name has none of'],
    ['a*b', 'A tag name has none of'],
    ['a[b', 'A tag name has none of'],
    ['a\\b', 'A tag name has none of'],
    ['a\u0001b', 'A tag name has none of'],
    ['-v1', 'is not a valid tag name'],
    ['/v1', 'is not a valid tag name'],
    ['v1/', 'is not a valid tag name'],
    ['v1.', 'is not a valid tag name'],
    ['v1.lock', 'is not a valid tag name'],
    ['v1..2', 'is not a valid tag name'],
    ['a//b', 'is not a valid tag name'],
    ['a@{b', 'is not a valid tag name'],
    ['@', 'is not a valid tag name'],
    ['rel/.hidden', 'is not a valid tag name']
  ])('refuses %j', (name, message) => {
    expect(validateTagName(name, trans)).toContain(message);
  });
});

describe('releaseMessage', () => {
  it('names the run, the tag and the commit', () => {
    expect(releaseMessage(REPLY, 'run-b', trans)).toBe(
      'Released run run-b as tag v1.0 at commit ccccccc.'
    );
  });

  it('tells about a snapshot and a model card', () => {
    const text = releaseMessage(
      { ...REPLY, snapshot: true, model_card: true },
      'run-b',
      trans
    );
    expect(text).toContain('hidden snapshot commit ddddddd');
    expect(text).toContain('MODEL_CARD.md was added');
  });
});

describe('releaseRun', () => {
  let server: FakeServer;

  beforeEach(() => {
    server = new FakeServer();
    server.handlers['runs/release'] = () => REPLY;
  });

  function release(ask: AskRelease) {
    return releaseRun({
      requester: server.requester,
      trans,
      runId: 'b'.repeat(32),
      runLabel: 'run-b',
      path: 'nb/train.ipynb',
      ask
    });
  }

  it('posts the trimmed name, the message and the model card choice', async () => {
    const { ask, shown } = scripted([values('  v1.0 \n', 'first one', true)]);
    expect(await release(ask)).toEqual(REPLY);
    expect(shown).toEqual([{ initial: values(''), error: null }]);
    const calls = server.callsTo('runs/release');
    expect(calls).toHaveLength(1);
    expect(calls[0].method).toBe('POST');
    expect(calls[0].body).toEqual({
      path: 'nb/train.ipynb',
      run_id: 'b'.repeat(32),
      name: 'v1.0',
      message: 'first one',
      model_card: true
    });
  });

  it('leaves out a blank message', async () => {
    const { ask } = scripted([values('v1', '  \n ')]);
    await release(ask);
    expect(server.calls[0].body).toEqual({
      path: 'nb/train.ipynb',
      run_id: 'b'.repeat(32),
      name: 'v1',
      model_card: false
    });
  });

  it('resolves null without a request when cancelled', async () => {
    const { ask } = scripted([null]);
    expect(await release(ask)).toBeNull();
    expect(server.calls).toHaveLength(0);
  });

  it('refuses an invalid name without asking the server', async () => {
    const { ask, shown } = scripted([values('my tag'), values('v1..0'), null]);
    expect(await release(ask)).toBeNull();
    expect(server.calls).toHaveLength(0);
    expect(shown[1]).toEqual({
      initial: values('my tag'),
      error: 'A tag name has no spaces.'
    });
    expect(shown[2].error).toBe('“v1..0” is not a valid tag name.');
  });

  it.each([400, 404, 409, 422])(
    'asks again with the server message of a %i',
    async status => {
      let posts = 0;
      server.handlers['runs/release'] = () => {
        posts++;
        if (posts === 1) {
          throw new ReproRequestError(
            'A tag v1.0 already exists.',
            status,
            'exists'
          );
        }
        return REPLY;
      };
      const { ask, shown } = scripted([
        values(' v1.0', 'msg', true),
        values('v1.1', 'msg', true)
      ]);
      expect(await release(ask)).toEqual(REPLY);
      expect(shown).toHaveLength(2);
      // What was typed comes back (trimmed), with the server's reason.
      expect(shown[1]).toEqual({
        initial: values('v1.0', 'msg', true),
        error: 'A tag v1.0 already exists.'
      });
      expect(server.calls.map(c => c.body.name)).toEqual(['v1.0', 'v1.1']);
    }
  );

  it('gives up when cancelled after a refusal', async () => {
    server.handlers['runs/release'] = () => {
      throw new ReproRequestError('exists', 409);
    };
    const { ask, shown } = scripted([values('v1'), null]);
    expect(await release(ask)).toBeNull();
    expect(shown).toHaveLength(2);
    expect(server.calls).toHaveLength(1);
  });

  it.each([500, 503, 0])('rethrows a %i without asking again', async status => {
    server.handlers['runs/release'] = () => {
      throw new ReproRequestError('server trouble', status);
    };
    const { ask, shown } = scripted([values('v1')]);
    await expect(release(ask)).rejects.toThrow('server trouble');
    expect(shown).toHaveLength(1);
  });

  it('rethrows an error that is not a request error', async () => {
    server.handlers['runs/release'] = () => {
      throw new TypeError('boom');
    };
    const { ask } = scripted([values('v1')]);
    await expect(release(ask)).rejects.toThrow(TypeError);
  });
});

describe('ReleaseForm', () => {
  it('shows the run, the error and a hint, and returns what was typed', async () => {
    (globalThis as any).IS_REACT_ACT_ENVIRONMENT = true;
    const form = new ReleaseForm({
      initial: values('v1', '', false),
      runLabel: '<img src=x onerror=alert(1)>',
      error: '<script>x</script> exists',
      trans
    });
    await act(async () => {
      Widget.attach(form, document.body);
    });
    const node = form.node;
    expect(node.querySelector('img, script')).toBeNull();
    expect(node.textContent).toContain('Run: <img src=x onerror=alert(1)>');
    expect(node.querySelector('[role="alert"]')?.textContent).toBe(
      '<script>x</script> exists'
    );
    const input = node.querySelector<HTMLInputElement>(
      'input.jp-Repro-Release-name'
    )!;
    expect(input.value).toBe('v1');
    await act(async () => {
      const setter = Object.getOwnPropertyDescriptor(
        HTMLInputElement.prototype,
        'value'
      )!.set!;
      setter.call(input, 'bad name');
      input.dispatchEvent(new Event('input', { bubbles: true }));
    });
    expect(node.querySelector('.jp-Repro-Release-hint')?.textContent).toBe(
      'A tag name has no spaces.'
    );
    expect(input.getAttribute('aria-invalid')).toBe('true');
    await act(async () => {
      node.querySelector<HTMLInputElement>('input[type="checkbox"]')!.click();
    });
    expect(form.getValue()).toEqual(values('bad name', '', true));
    act(() => form.dispose());
  });
});
