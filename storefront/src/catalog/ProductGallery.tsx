import { useState } from "react";
import { type FragmentType, graphql, readFragment } from "../gql";
import { NoImage, ProductImage } from "./ProductImage";
import "./product.css";

export const ProductGallery_image = graphql(`
  fragment ProductGallery_image on Image {
    id
    altText
    ...ProductImage_image
  }
`);

/** The main picture takes half the page beside the details, or the whole width on a phone. */
const MAIN_SIZES = "(min-width: 48rem) min(38rem, 50vw), 100vw";
const THUMB_SIZES = "5rem";

type Props = {
  images: readonly FragmentType<typeof ProductGallery_image>[];
  productName: string;
  /** The chosen variant's own picture, shown when it is chosen. */
  preferredImageId: string | null;
  /** Changes when another variant is chosen, which shows that variant's picture again. */
  variantKey: string;
};

/** The main picture, and a button per picture to show it instead. */
export function ProductGallery({ images, productName, preferredImageId, variantKey }: Props) {
  const fields = images.map((image) => readFragment(ProductGallery_image, image));
  // A picture picked by hand stays until another variant is chosen.
  const [picked, setPicked] = useState<string | null>(null);
  const [pickedFor, setPickedFor] = useState(variantKey);
  if (pickedFor !== variantKey) {
    setPickedFor(variantKey);
    setPicked(null);
  }
  const wanted = picked ?? preferredImageId;
  const shown = fields.find((image) => image.id === wanted) ?? fields[0];

  if (!shown) {
    return (
      <div className="product-gallery">
        <NoImage className="main-image" />
      </div>
    );
  }
  return (
    <div className="product-gallery">
      <ProductImage
        key={shown.id}
        image={shown}
        sizes={MAIN_SIZES}
        fallbackAlt={productName}
        className="main-image"
        eager
      />
      {fields.length > 1 && (
        <ul className="thumbnails" aria-label="Pictures">
          {fields.map((image, index) => (
            <li key={image.id}>
              <button
                type="button"
                className="thumbnail"
                aria-pressed={image.id === shown.id}
                aria-label={`Show picture ${index + 1} of ${fields.length}${image.altText ? `: ${image.altText}` : ""}`}
                onClick={() => setPicked(image.id)}
              >
                <ProductImage image={image} sizes={THUMB_SIZES} fallbackAlt={productName} alt="" />
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
