"""hfy-reference: exact sparse maps, Fenchel-Young losses and Hopfield-Fenchel-Young networks.

The reference implementation (float64, exact to a few ulps) of the Ω-regularized
argmax maps -- softmax, sparsemax, α-entmax, α-normmax, SparseMAP k-subsets,
constrained sparsemax --, their Fenchel-Young losses and Jacobians, and of the
Hopfield-Fenchel-Young networks built on them.  See the README for the conventions
(axis, ``-inf`` masks, dtypes, errors) and the references.

Importing the package is cheap: the Numba kernels compile (or load from the on-disk
cache) on first use.
"""

from .hopfield import (
    POST_TRANSFORMS,
    ClassicalHopfield,
    DenseAssociativeMemory,
    HopfieldNetwork,
    L2Ball,
    LayerNorm,
    PostTransform,
    Quadratic,
    RetrievalResult,
    Sign,
    Tanh,
)
from .maps import (
    argmax,
    constrained_sparsemax,
    entmax,
    logsumexp,
    normmax,
    softmax,
    sparsemap_ksubsets,
    sparsemax,
    threshold,
)
from .mixed import GaussianSparsemax, HardConcrete
from .regularizers import (
    REGULARIZERS,
    KSubsets,
    NormEntropy,
    Regularizer,
    Shannon,
    Tsallis,
    fy_loss,
)
from .structured import SequentialKSubsets, SparseMAPSolution

__version__ = "0.1.0"

__all__ = [
    "softmax",
    "sparsemax",
    "entmax",
    "normmax",
    "argmax",
    "sparsemap_ksubsets",
    "constrained_sparsemax",
    "logsumexp",
    "threshold",
    "Regularizer",
    "Shannon",
    "Tsallis",
    "NormEntropy",
    "KSubsets",
    "fy_loss",
    "REGULARIZERS",
    "HopfieldNetwork",
    "RetrievalResult",
    "ClassicalHopfield",
    "DenseAssociativeMemory",
    "PostTransform",
    "Quadratic",
    "L2Ball",
    "LayerNorm",
    "Sign",
    "Tanh",
    "POST_TRANSFORMS",
    "SequentialKSubsets",
    "SparseMAPSolution",
    "GaussianSparsemax",
    "HardConcrete",
    "__version__",
]
