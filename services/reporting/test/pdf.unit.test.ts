import { CjkFontMissing, findCjkFonts } from '../src/pdf/cjk-font';

describe('the Chinese font of the PDF documents', () => {
  it('names the Debian package when the configured font is not there', async () => {
    const missing = findCjkFonts('/nonexistent/NotoSansCJK-Regular.ttc#NotoSansCJKsc-Regular');
    await expect(missing).rejects.toBeInstanceOf(CjkFontMissing);
    await expect(missing).rejects.toThrow(/apt-get install fonts-noto-cjk/);
  });

  it('finds the Simplified Chinese sans faces of fonts-noto-cjk (installed by infra/stack.sh deps)', async () => {
    const fonts = await findCjkFonts();
    expect(fonts.regular).toMatchObject({ file: expect.stringMatching(/NotoSansCJK-Regular\.ttc$/), postscriptName: 'NotoSansCJKsc-Regular' });
    expect(fonts.bold).toMatchObject({ file: expect.stringMatching(/NotoSansCJK-Bold\.ttc$/), postscriptName: 'NotoSansCJKsc-Bold' });
  });

  it('takes a configured file, with the face of a collection after #', async () => {
    const fonts = await findCjkFonts('/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc#NotoSerifCJKsc-Regular');
    expect(fonts.regular).toEqual({ file: '/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc', postscriptName: 'NotoSerifCJKsc-Regular' });
  });
});
