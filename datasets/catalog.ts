/**
 * The datasets `loadDataset` knows: their files, SHA-256 checksums and canonical download URLs.
 *
 * @module
 */

/** One file of a dataset. */
export interface DatasetFile {
  /** File name, e.g. `train-images-idx3-ubyte.gz`. */
  name: string;
  /** Expected SHA-256, hex. */
  sha256: string;
  /** Its size in bytes: a file (or download) of more bytes is refused before it is read. */
  bytes: number;
}

/** A dataset in the catalog. */
export interface CatalogEntry {
  /** Number of classes. */
  classes: number;
  /** Base URL the files are downloaded from. */
  baseUrl: string;
  /** Whether the files ship inside this package (MNIST does). */
  shipped: boolean;
  /** Training images, training labels, test images, test labels. */
  files: { trainImages: DatasetFile; trainLabels: DatasetFile; testImages: DatasetFile; testLabels: DatasetFile };
}

/** MNIST and Fashion-MNIST: the original IDX gzip files. */
export const CATALOG: Readonly<Record<string, CatalogEntry>> = {
  "mnist": {
    classes: 10,
    baseUrl: "https://storage.googleapis.com/cvdf-datasets/mnist/",
    shipped: true,
    files: {
      trainImages: {
        name: "train-images-idx3-ubyte.gz",
        sha256: "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        bytes: 9912422,
      },
      trainLabels: {
        name: "train-labels-idx1-ubyte.gz",
        sha256: "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        bytes: 28881,
      },
      testImages: {
        name: "t10k-images-idx3-ubyte.gz",
        sha256: "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        bytes: 1648877,
      },
      testLabels: {
        name: "t10k-labels-idx1-ubyte.gz",
        sha256: "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        bytes: 4542,
      },
    },
  },
  "fashion-mnist": {
    classes: 10,
    baseUrl: "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    shipped: false,
    files: {
      trainImages: {
        name: "train-images-idx3-ubyte.gz",
        sha256: "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
        bytes: 26421880,
      },
      trainLabels: {
        name: "train-labels-idx1-ubyte.gz",
        sha256: "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
        bytes: 29515,
      },
      testImages: {
        name: "t10k-images-idx3-ubyte.gz",
        sha256: "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
        bytes: 4422102,
      },
      testLabels: {
        name: "t10k-labels-idx1-ubyte.gz",
        sha256: "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
        bytes: 5148,
      },
    },
  },
};

/** The names of the datasets in the catalog. */
export const DATASET_NAMES: readonly string[] = Object.keys(CATALOG);
