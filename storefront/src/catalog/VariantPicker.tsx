import { useId } from "react";
import { type FragmentType, graphql, readFragment } from "../gql";
import type { VariantPicker_ProductFragment } from "../gql/graphql";
import "./product.css";

export const VariantPicker_product = graphql(`
  fragment VariantPicker_product on Product {
    options {
      name
      values
    }
    variants {
      id
      selectedOptions {
        name
        value
      }
    }
  }
`);

export type PickerProduct = VariantPicker_ProductFragment;

/** The chosen value of each option, by option name. */
export type Selection = Readonly<Record<string, string>>;

export function readPicker(product: FragmentType<typeof VariantPicker_product>): PickerProduct {
  return readFragment(VariantPicker_product, product);
}

export function selectionOf(product: PickerProduct, variantId: string): Selection {
  const variant = product.variants.find((candidate) => candidate.id === variantId);
  return Object.fromEntries(
    (variant?.selectedOptions ?? []).map((option) => [option.name, option.value]),
  );
}

/** The variant with exactly these option values; null when the product has no such combination. */
export function findVariant(product: PickerProduct, selection: Selection): string | null {
  if (product.options.length === 0) return product.variants[0]?.id ?? null;
  const match = product.variants.find((variant) =>
    product.options.every((option) =>
      variant.selectedOptions.some(
        (chosen) => chosen.name === option.name && chosen.value === selection[option.name],
      ),
    ),
  );
  return match?.id ?? null;
}

type Props = {
  product: PickerProduct;
  selection: Selection;
  onSelect: (selection: Selection) => void;
  /** Whether a variant has no stock now, to mark the values that lead to it. */
  soldOut: (variantId: string) => boolean;
};

/** One group of radio buttons per option (Size, Color); nothing for a product without options. */
export function VariantPicker({ product, selection, onSelect, soldOut }: Props) {
  const id = useId();
  if (product.options.length === 0) return null;
  return (
    <div className="variant-picker">
      {/* What the struck-through values mean, read as each one's description: the radios
          keep the bare value as their name ("40"). */}
      <p hidden id={`${id}-sold-out`}>
        Sold out
      </p>
      <p hidden id={`${id}-missing`}>
        Not available in this combination
      </p>
      {product.options.map((option, index) => (
        <fieldset key={option.name} className="option-group">
          <legend>{option.name}</legend>
          <div className="option-values">
            {option.values.map((value) => {
              const next = { ...selection, [option.name]: value };
              const variantId = findVariant(product, next);
              const state =
                variantId === null ? "missing" : soldOut(variantId) ? "sold-out" : "available";
              const inputId = `${id}-${index}-${value}`;
              return (
                <div key={value} className={`option-value option-${state}`}>
                  <input
                    type="radio"
                    id={inputId}
                    name={`${id}-${index}`}
                    value={value}
                    checked={selection[option.name] === value}
                    onChange={() => onSelect(next)}
                    aria-describedby={state === "available" ? undefined : `${id}-${state}`}
                  />
                  <label htmlFor={inputId}>{value}</label>
                </div>
              );
            })}
          </div>
        </fieldset>
      ))}
    </div>
  );
}
