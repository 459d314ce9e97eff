import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import * as fontkit from 'fontkit';

/** A font file, and for a collection (.ttc) the PostScript name of the face to use. */
export interface FontFace {
  readonly file: string;
  readonly postscriptName?: string;
}

/** The faces documents are set in: Chinese text needs a CJK font (Debian's fonts-noto-cjk). */
export interface CjkFonts {
  readonly regular: FontFace;
  readonly bold: FontFace;
}

/** The Debian package that provides the font, named in every error about it. */
export const CJK_FONT_PACKAGE = 'fonts-noto-cjk';

/** No Chinese font on this machine: documents cannot be made (answered 503 naming the package). */
export class CjkFontMissing extends Error {
  readonly code = 'cjk_font_missing';
  constructor(readonly tried: readonly string[]) {
    super(
      `生成 PDF 需要中文字体:请安装 Debian 的 ${CJK_FONT_PACKAGE} 软件包(apt-get install ${CJK_FONT_PACKAGE},infra/stack.sh deps 会安装),或以 PDF_CJK_FONT 指定字体文件`,
    );
    this.name = 'CjkFontMissing';
  }
}

/** Where fonts-noto-cjk puts its faces on Debian and Ubuntu (used when fc-list is not there). */
const DEBIAN_NOTO = {
  regular: { file: '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc', postscriptName: 'NotoSansCJKsc-Regular' },
  bold: { file: '/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc', postscriptName: 'NotoSansCJKsc-Bold' },
} as const;

/** `PDF_CJK_FONT=/path/to/font.ttc#PostScriptName` (the name only for a collection). */
function parseConfigured(value: string): FontFace {
  const [file, postscriptName] = value.split('#', 2) as [string, string | undefined];
  return postscriptName ? { file, postscriptName } : { file };
}

/** The Chinese faces fontconfig knows, one `file<TAB>postscriptname` line each. */
async function fontconfigFaces(): Promise<FontFace[]> {
  try {
    const { stdout } = await promisify(execFile)('fc-list', ['-f', '%{file}\t%{postscriptname}\n', ':lang=zh'], { timeout: 5_000 });
    return stdout
      .split('\n')
      .map((line) => /^([^\t]+)\t(\S+)$/.exec(line.trim()))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ file: m[1]!, postscriptName: m[2]! }));
  } catch {
    return [];
  }
}

/** Sans faces read better on screen and print; SC is the Simplified Chinese face of a CJK collection. */
function pick(faces: readonly FontFace[], weight: 'Regular' | 'Bold'): FontFace | undefined {
  const named = (re: RegExp) => faces.find((f) => re.test(f.postscriptName ?? ''));
  return named(new RegExp(`^NotoSansCJKsc-${weight}$`)) ?? named(new RegExp(`^NotoSerifCJKsc-${weight}$`)) ?? named(new RegExp(`-${weight}$`));
}

/**
 * Finds the CJK faces: PDF_CJK_FONT if set, else what fontconfig lists for
 * Chinese (`fc-list :lang=zh`), else fonts-noto-cjk's Debian paths. Throws
 * CjkFontMissing, naming the package, when there is none.
 */
export async function findCjkFonts(configured?: string): Promise<CjkFonts> {
  if (configured) {
    const face = parseConfigured(configured);
    if (!existsSync(face.file)) throw new CjkFontMissing([face.file]);
    return { regular: face, bold: face };
  }
  const faces = (await fontconfigFaces()).filter((f) => existsSync(f.file));
  const regular = pick(faces, 'Regular');
  if (regular) return { regular, bold: pick(faces, 'Bold') ?? regular };
  if (existsSync(DEBIAN_NOTO.regular.file))
    return { regular: DEBIAN_NOTO.regular, bold: existsSync(DEBIAN_NOTO.bold.file) ? DEBIAN_NOTO.bold : DEBIAN_NOTO.regular };
  throw new CjkFontMissing(['fc-list :lang=zh', DEBIAN_NOTO.regular.file]);
}

/**
 * A face parsed once per process: pdfkit would otherwise parse the whole
 * collection (20 MB for Noto Sans CJK) again for every document, about a third of
 * what a document costs; each document still makes its own subset of the glyphs it uses.
 */
export interface LoadedFace extends FontFace {
  readonly font: fontkit.Font;
}

export interface LoadedCjkFonts {
  readonly regular: LoadedFace;
  readonly bold: LoadedFace;
}

/** The faces found once; later calls share the result (a failure is retried next time: the package may be installed meanwhile). */
export function cjkFontFinder(configured?: string): () => Promise<CjkFonts> {
  let finding: Promise<CjkFonts> | undefined;
  return () => {
    finding ??= findCjkFonts(configured);
    finding.catch(() => {
      finding = undefined;
    });
    return finding;
  };
}

/** Faces parsed in this process (or thread), by file and name. */
const parsedFaces = new Map<string, fontkit.Font>();

/** The faces found, each read and parsed once per process (or thread). */
export function loadCjkFonts(fonts: CjkFonts): LoadedCjkFonts {
  const load = (face: FontFace): LoadedFace => {
    const key = `${face.file}#${face.postscriptName ?? ''}`;
    let font = parsedFaces.get(key);
    if (!font) parsedFaces.set(key, (font = parseFace(face)));
    return { ...face, font };
  };
  return { regular: load(fonts.regular), bold: load(fonts.bold) };
}

/** One face of a font file; for a collection, the one its PostScript name names (or its first). */
function parseFace(face: FontFace): fontkit.Font {
  // A collection without the face named answers null.
  const parsed = fontkit.create(readFileSync(face.file), face.postscriptName) as fontkit.Font | fontkit.FontCollection | null;
  const font = parsed && 'fonts' in parsed ? parsed.fonts[0] : parsed;
  if (!font) throw new CjkFontMissing([face.file]);
  return font;
}
