"""The Asset Atlas Streamlit app: shared state, map building and the pages (app/pages/)."""
