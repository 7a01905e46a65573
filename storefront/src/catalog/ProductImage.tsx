import { type FragmentType, graphql, readFragment } from "../gql";
import type { ProductImage_ImageFragment } from "../gql/graphql";
import "./catalog.css";

/** A few of the widths the server renders (it rounds any other width up to one of them). */
export const ProductImage_image = graphql(`
  fragment ProductImage_image on Image {
    id
    altText
    width
    height
    w256: url(width: 256)
    w512: url(width: 512)
    w768: url(width: 768)
    w1024: url(width: 1024)
  }
`);

/** `srcset` candidates, each with the width the server really sends: never more than the
 * image's own (asking for 1024 of an 800-pixel image gives the 800-pixel image). */
export function srcSet(image: ProductImage_ImageFragment): { srcSet: string; src: string } {
  const asked: [number, string][] = [
    [256, image.w256],
    [512, image.w512],
    [768, image.w768],
    [1024, image.w1024],
  ];
  const byWidth = new Map<number, string>();
  for (const [width, url] of asked) {
    const real = Math.min(width, image.width);
    if (!byWidth.has(real)) byWidth.set(real, url);
  }
  const candidates = [...byWidth].sort(([a], [b]) => a - b);
  // The fallback for browsers without srcset: a middle size.
  const src = byWidth.get(Math.min(512, image.width)) ?? candidates[0][1];
  return { srcSet: candidates.map(([width, url]) => `${url} ${width}w`).join(", "), src };
}

type Props = {
  image: FragmentType<typeof ProductImage_image>;
  /** The `sizes` attribute: how wide the image is drawn, so the browser picks a candidate. */
  sizes: string;
  /** Used when the image has no alt text of its own (the product's name). */
  fallbackAlt: string;
  /** Empty when the image is decoration beside text that says the same (e.g. a thumbnail button). */
  alt?: string;
  className?: string;
  eager?: boolean;
};

/** A product picture in the sizes the server renders, letting the browser choose. */
export function ProductImage({ image, sizes, fallbackAlt, alt, className, eager = false }: Props) {
  const fields = readFragment(ProductImage_image, image);
  const { srcSet: set, src } = srcSet(fields);
  return (
    <img
      className={className}
      src={src}
      srcSet={set}
      sizes={sizes}
      width={fields.width}
      height={fields.height}
      alt={alt ?? fields.altText ?? fallbackAlt}
      loading={eager ? "eager" : "lazy"}
      decoding="async"
    />
  );
}

/** Stands in for a product without pictures, at the same proportions. */
export function NoImage({ className }: { className?: string }) {
  return (
    <div className={`no-image ${className ?? ""}`} role="img" aria-label="No picture">
      <span aria-hidden="true">No picture</span>
    </div>
  );
}
