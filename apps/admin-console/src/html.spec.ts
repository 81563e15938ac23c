import { describe, expect, it } from 'vitest';
import { esc, html, plain } from './html';

describe('html templates of the console', () => {
  it('escapes every interpolated value: text from the API never becomes markup', () => {
    const out = html`<td title="${'"><script>x</script>'}">${'<img src=x onerror=alert(1)>'}</td>`.html;
    expect(out).toBe('<td title="&#34;&#62;&#60;script&#62;x&#60;/script&#62;">&#60;img src=x onerror=alert(1)&#62;</td>');
  });

  it('keeps markup built by html`` itself, and joins arrays of it', () => {
    const rows = ['a&b', 'c'].map((v) => html`<li>${v}</li>`);
    const list = html`<ul>
      ${rows}
    </ul>`.html;
    // (Prettier lays out html`` templates; whitespace between tags is not the point here)
    expect(list.replace(/>\s+</g, '><')).toBe('<ul><li>a&#38;b</li><li>c</li></ul>');
  });

  it('shows objects as key=value and never as [object Object]', () => {
    expect(plain({ video: 'h264', audio: null, n: { x: 1 } })).toBe('video=h264 n={"x":1}');
    expect(plain(null)).toBe('–');
    expect(esc({ a: '<' })).toBe('{&#34;a&#34;:&#34;&#60;&#34;}');
  });
});
