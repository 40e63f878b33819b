"""Operations: the local stack (stack/), deploy artefacts (deploy/), evidence (evidence/), workspace checks."""
